"""A dispatch in flight and its receivers' calls: what the hot path fills in.

A :class:`Dispatch` is one call of ``send``/``send_robust``/``asend``/
``asend_robust`` while something records it; a :class:`ReceiverCall` is one
receiver's run inside it. Both hold the user's own objects only until the
send ends, when the recordings have copied what they keep (``records``).
A ``ReceiverCall``'s ``returned()``/``raised()`` is the one timing rule of
every receiver.
"""

from __future__ import annotations

import itertools
from time import perf_counter
from typing import Any

from django.dispatch import Signal

from signal_panel import pauses, state
from signal_panel.state import Sink

_dispatch_ids = itertools.count(1)


class ReceiverCall:
    """One receiver run inside one dispatch: when it started, how long it
    took, what it returned or raised, and the SQL it ran."""

    __slots__ = (
        "dispatch",
        "dispatch_id",
        "duration",
        "error",
        "index",
        "is_async",
        "nested_queries",
        "queries",
        "receiver",
        "result",
        "start",
        "token",
    )

    def __init__(
        self, dispatch: Dispatch, receiver: Any, is_async: bool = False, index: int = 0
    ) -> None:
        # Probes only: the dispatch they were handed out for.
        self.dispatch: Dispatch | None = dispatch
        # The parent of the dispatches sent from inside this call.
        self.dispatch_id: int | None = dispatch.id
        self.receiver = receiver
        self.is_async = is_async
        # Position among the dispatch's live receivers.
        self.index = index
        self.start = 0.0
        self.duration: float | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        # {alias: [count, seconds]} of SQL run by this receiver itself.
        self.queries: dict[str, list[Any]] | None = None
        # [count, seconds] of SQL run by dispatches nested inside this receiver.
        self.nested_queries: list[Any] | None = None
        # Async calls: resets the context's current call when the call ends.
        self.token: Any = None

    def returned(self, result: Any) -> None:
        """The receiver returned ``result``: the end of its call."""
        self.duration = perf_counter() - self.start
        self.result = result

    def raised(self, exc: BaseException) -> None:
        """The receiver raised ``exc``: the end of its call."""
        self.duration = perf_counter() - self.start
        self.error = exc

    def __getattr__(self, name: str) -> Any:
        # Django reads receiver.__qualname__ when logging send_robust errors.
        return getattr(object.__getattribute__(self, "receiver"), name)


def unrecorded(receiver: Any, is_async: bool) -> ReceiverCall:
    """A call timed as usual but recorded nowhere."""
    call: ReceiverCall = object.__new__(ReceiverCall)
    call.dispatch = call.dispatch_id = call.token = None
    call.receiver, call.is_async, call.index = receiver, is_async, 0
    call.queries = call.nested_queries = call.error = call.result = None
    call.start, call.duration = perf_counter(), None
    return call


class Dispatch:
    """One call of ``send``/``send_robust``/``asend``/``asend_robust``."""

    __slots__ = (
        "armed",
        "calls",
        "connected",
        "cyclic",
        "duration",
        "error",
        "gc",
        "gc_start",
        "id",
        "method",
        "named",
        "next_async",
        "next_sync",
        "parent",
        "parent_id",
        "probe",
        "receivers",
        "recordings",
        "running",
        "sender",
        "signal",
        "start",
        "token",
    )

    def __init__(
        self,
        signal: Signal,
        method: str,
        sender: Any,
        named: dict[str, Any],
        probe: bool,
        recordings: tuple[Sink, ...],
    ) -> None:
        self.id = next(_dispatch_ids)
        self.recordings = recordings
        self.signal = signal
        self.method = method
        self.sender = sender
        self.named: dict[str, Any] | None = named
        # The dispatch, or the receiver's call, this one is nested in.
        parent = state.current()
        if parent is None:
            self.parent_id = None
        elif parent.__class__ is Dispatch:
            self.parent_id = parent.id
            if parent.running is not None:
                parent = parent.running
        else:
            self.parent_id = parent.dispatch_id
        self.parent: Dispatch | ReceiverCall | None = parent
        # Whether probes stand in for the receivers (the fallback).
        self.probe = probe
        # Whether something may refer back to it (probes, a traceback):
        # reference cycles that end() breaks.
        self.cyclic = probe
        # The sync receiver running now: the parent of nested sends and the
        # owner of SQL queries.
        self.running: ReceiverCall | None = None
        # The index the next sync and async receivers' calls get.
        self.next_sync = self.next_async = 0
        # Set by started(): the receivers Django resolved, and its connection
        # list as it was before (for the receivers that did not run, and why).
        self.receivers: list[Any] = []
        self.connected: list[Any] = []
        self.calls: list[ReceiverCall] = []
        self.duration: float | None = None
        self.error: BaseException | None = None
        self.armed = True
        self.token: Any = None
        # Collector pauses while it ran: the total when it started, then its own.
        self.gc_start = pauses.total
        self.gc = 0.0
        self.start = perf_counter()
