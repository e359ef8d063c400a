"""A dispatch in flight and its receivers' calls: what the hot path fills in.

A :class:`Dispatch` is one call of ``send``/``send_robust``/``asend``/
``asend_robust`` while something records it. Each receiver's run inside it
is a *call*: a plain list of :data:`SIZE` slots, cheap to make on every
send, in this layout (:data:`RECEIVER` … :data:`OWNER` name its places: the
one definition of it, which every module indexing a call uses, and which
``instrument`` hands the compiler as ``compiler.CallSlots``)::

    [receiver, index, start, stop, result, error, queries, nested, token, owner]

- ``index``: the receiver's position among the dispatch's live receivers
  (None for a sync receiver of a compiled send: the n-th such call is the
  n-th receiver);
- ``start``/``stop``: ``perf_counter()`` when it began and ended (``stop``
  None while it runs);
- ``queries``: ``{alias: [count, seconds]}`` of its own SQL; ``nested``:
  ``[count, seconds]`` of the SQL of dispatches sent from inside it;
- ``token``: an async call is the context's current one while it runs,
  ``token`` resets that; ``owner``: the ``key`` of its dispatch (None for a
  sync receiver of a compiled send), the parent of dispatches sent from
  inside an async call.

The timing rule of every receiver: :func:`new_call` starts it,
:func:`returned` or :func:`raised` ends it. The compiled copies of Django's
send methods (``compiler.rewrite``) write the same places inline for sync
receivers, where a function call would be most of the cost.

Both a dispatch and its calls hold the user's own objects only until the
send ends, when the recordings have copied what they keep
(``recording.records``).
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from django.dispatch import Signal

from signal_panel.recorder.state import Sink

SIZE = 10
RECEIVER, INDEX, START, STOP, RESULT, ERROR, QUERIES, NESTED, TOKEN, OWNER = range(SIZE)
Call = list[Any]
# A dispatch's receivers and connections until Django has resolved them.
EMPTY: list[Any] = []


def new_call(receiver: Any, index: int | None, owner: int | None) -> Call:
    """A call of ``receiver``, starting now."""
    # In the order of the places above (a literal: on every async receiver's
    # and probe's call; tests/recorder/test_contracts.py checks the order).
    return [receiver, index, perf_counter(), None, None, None, None, None, None, owner]


def returned(call: Call, result: Any) -> None:
    """The receiver of ``call`` returned ``result``: the end of its call."""
    call[STOP] = perf_counter()
    call[RESULT] = result


def raised(call: Call, exc: BaseException) -> None:
    """The receiver of ``call`` raised ``exc``: the end of its call."""
    call[STOP] = perf_counter()
    call[ERROR] = exc


def duration(call: Call) -> float:
    """Seconds the call took (0 while it runs)."""
    stop = call[STOP]
    return 0.0 if stop is None else float(stop - call[START])


def query_count(call: Call) -> int:
    return sum(count for count, _ in (call[QUERIES] or {}).values())


class Dispatch:
    """One call of ``send``/``send_robust``/``asend``/``asend_robust``."""

    __slots__ = (
        "calls",
        "connected",
        "cyclic",
        "duration",
        "error",
        "gc",
        "gc_start",
        "key",
        "method",
        "named",
        "next_async",
        "parent",
        "parent_key",
        "probe",
        "receivers",
        "recordings",
        "running",
        "sender",
        "sender_id",
        "signal",
        "signal_id",
        "start",
        "sync_count",
        "token",
    )
    # Set when the send ends: seconds it took, of which collector pauses.
    duration: float
    gc: float
    # The rest: see dispatch.begin(), which makes it.
    recordings: tuple[Sink, ...]
    signal: Signal
    method: str
    sender: Any
    named: dict[str, Any] | None
    signal_id: int
    sender_id: int
    key: int
    parent_key: int | None
    parent: Dispatch | Call | None
    probe: bool
    cyclic: bool
    running: Call | None
    sync_count: int
    next_async: int
    receivers: list[Any]
    connected: list[Any]
    calls: list[Call]
    error: BaseException | None
    token: Any
    gc_start: float
    start: float


class Probe:
    """What the fallback hands Django in a receiver's place (see ``probes``):
    calling it runs and times the receiver in ``call``."""

    __slots__ = ("call", "dispatch", "receiver")

    def __init__(self, dispatch: Dispatch, receiver: Any, index: int) -> None:
        self.dispatch: Dispatch | None = dispatch
        self.receiver = receiver
        self.call = new_call(receiver, index, dispatch.key)

    def __getattr__(self, name: str) -> Any:
        # Django reads receiver.__qualname__ when logging send_robust errors.
        return getattr(object.__getattribute__(self, "receiver"), name)
