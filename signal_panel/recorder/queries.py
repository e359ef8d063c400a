"""Charge SQL queries to the receiver that ran them.

Django runs every query through ``CursorWrapper._execute`` or
``_executemany``: the innermost step of ``_execute_with_wrappers``, after the
connection's ``execute_wrappers`` and the toolbar's own SQL tracking. Both
are wrapped once, on the class, so that every connection of the process is
metered, also those created later, without adding anything to a
connection's ``execute_wrappers`` (a user's ``connection.execute_wrapper()``
block pops the last wrapper of that list when it exits: it must find its
own) and without patching ``ConnectionHandler``.

While a receiver runs, the context's current call (``state.current()``) is
its call (or its ``Dispatch``, whose ``running`` is the call); the
wrapper times the query and charges it there, so a query of a nested
dispatch goes to the innermost receiver. Outside receivers a query costs one
context-variable read more.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.db.backends.utils import CursorWrapper

from signal_panel.recorder import state
from signal_panel.recorder.inflight import QUERIES, Call, Dispatch

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}
METHODS = ("_execute", "_executemany")


def _metered(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` (an executor method of ``CursorWrapper``), charging the
    query's time to the receiver running it, if any."""

    @functools.wraps(original)
    def execute(self: CursorWrapper, sql: Any, params: Any, *args: Any) -> Any:
        call = state.current()
        if call.__class__ is Dispatch:
            call = call.running
        if call is None:
            return original(self, sql, params, *args)
        start = perf_counter()
        try:
            return original(self, sql, params, *args)
        finally:
            charge(call, self.db.alias, perf_counter() - start)

    return execute


def charge(call: Call, alias: str, seconds: float) -> None:
    """Add one query of ``alias`` to ``call``. Never raises."""
    try:
        queries = call[QUERIES]
        if queries is None:
            queries = call[QUERIES] = {}
        counter = queries.get(alias)
        if counter is None:
            queries[alias] = [1, seconds]
        else:
            counter[0] += 1
            counter[1] += seconds
    except Exception:
        pass  # Never let bookkeeping fail the user's query.


def install() -> None:
    """Meter every query of the process. Idempotent and thread-safe."""
    with _lock:
        if _originals:
            return
        for name in METHODS:
            original = CursorWrapper.__dict__[name]
            _originals[name] = original
            setattr(CursorWrapper, name, _metered(original))


def is_metered() -> bool:
    return bool(_originals)
