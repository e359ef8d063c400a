"""Charge SQL queries to the receiver that ran them.

One ``execute_wrapper`` (Django's own hook for wrapping query execution) is
added to every database connection of the process, once. While a receiver
runs, the context variable ``capture._current`` holds its ``ReceiverCall``
(or its ``Dispatch``, whose ``running`` is the call); the wrapper times each
query and charges it there, so a query of a nested dispatch goes to the
innermost receiver. Outside receivers
it costs one context-variable read per query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.db import connections
from django.db.utils import ConnectionHandler

from signal_panel import capture

_lock = threading.Lock()
_original_create_connection: Callable[..., Any] | None = None


def charge_queries(
    execute: Callable[..., Any],
    sql: Any,
    params: Any,
    many: bool,
    context: dict[str, Any],
) -> Any:
    call = capture._current.get()
    if call.__class__ is capture.Dispatch:
        call = call.running  # type: ignore[union-attr]
    if call is None:
        return execute(sql, params, many, context)
    start = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = perf_counter() - start
        try:
            alias = context["connection"].alias
            queries = call.queries
            if queries is None:
                queries = call.queries = {}
            counter = queries.get(alias)
            if counter is None:
                queries[alias] = [1, elapsed]
            else:
                counter[0] += 1
                counter[1] += elapsed
        except Exception:
            pass  # Never let bookkeeping fail the user's query.


def _add_wrapper(connection: Any) -> None:
    if charge_queries not in connection.execute_wrappers:
        connection.execute_wrappers.append(charge_queries)


def _create_connection(self: ConnectionHandler, alias: str) -> Any:
    assert _original_create_connection is not None
    connection = _original_create_connection(self, alias)
    _add_wrapper(connection)
    return connection


def install() -> None:
    """Meter every connection created from now on, and this thread's existing ones."""
    global _original_create_connection
    with _lock:
        if _original_create_connection is not None:
            return
        _original_create_connection = ConnectionHandler.create_connection
        ConnectionHandler.create_connection = _create_connection  # type: ignore[method-assign]
    for connection in connections.all(initialized_only=True):
        _add_wrapper(connection)
