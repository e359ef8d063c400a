"""What the recorder hands the compiler: its hooks and the layout of a call.

The compiled copies of Django's methods call the recorder's functions, and
write a sync receiver's call inline. Those are the hot path's contracts,
typed here: a hook the compiled code uses and the structure lacks is a
TypeError when the copy is compiled (``compiler._compile``), a hook missing
from the structure's construction a TypeError where the recorder builds it
(``instrument``). Each field reaches the compiled code as the closure
variable ``_sp_<field>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class CallSlots:
    """Where the compiled code writes a sync receiver's call: a list of
    ``size`` slots, of which it fills ``receiver``, ``start``, ``stop`` and
    ``result`` (the rest stay None). The recorder owns the layout
    (``recorder.inflight``) and hands it in: these are its positions."""

    size: int
    receiver: int
    start: int
    stop: int
    result: int

    def __post_init__(self) -> None:
        places = (self.receiver, self.start, self.stop, self.result)
        if len(set(places)) != len(places) or not all(
            0 <= place < self.size for place in places
        ):
            raise ValueError(f"not a layout of a call: {self}")


@dataclass(frozen=True, kw_only=True, slots=True)
class SendHooks:
    """The recorder's functions in a compiled send method (and in Django
    6.1's ``_run_parallel``: ``aenter``, ``adone``, ``afailed``)."""

    # The gate: this context's recordings, None unless something records.
    recordings: Callable[[], object]
    # Recorded even when nothing records yet (it opens a request's
    # recording); request_finished's send runs ``finished`` afterwards.
    request_started: object
    request_finished: object
    # begin(signal, method, sender, named, recordings) -> dispatch or None;
    # end(dispatch); finished(signal) after a send nothing recorded.
    begin: Callable[[Any, str, Any, dict[str, Any], Any], Any]
    end: Callable[[Any], None]
    finished: Callable[[Any], None]
    # started(dispatch, connected, sync_receivers, async_receivers).
    started: Callable[[Any, list[Any], list[Any], list[Any]], None]
    # A sync receiver's call is timed inline with ``clock``;
    # failed(dispatch, call, exc) if it raised.
    clock: Callable[[], float]
    failed: Callable[[Any, list[Any], BaseException], None]
    # An awaited async receiver: aenter(dispatch, receiver) -> its call,
    # then adone(dispatch, call, result) or afailed(dispatch, call, exc).
    aenter: Callable[[Any, Any], list[Any]]
    adone: Callable[[Any, list[Any], Any], None]
    afailed: Callable[[Any, list[Any], BaseException], None]
    # parallel(dispatch, runner, async_receivers, *coroutines), in place of
    # Django's runner(*coroutines).
    parallel: Callable[..., Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class GateHooks:
    """The gate of a send method recorded through probes (compile_gated)."""

    recordings: Callable[[], object]
    request_started: object
    # record(original, method, signal, sender, named): the send, recorded.
    record: Callable[[Any, str, Any, Any, dict[str, Any]], Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class ProbingHooks:
    """The gate of ``_live_receivers`` (compile_probing)."""

    # Whether the current send is recorded through probes.
    probing: Callable[[], bool]
    # record(original, signal, sender) -> Django's receivers, probed.
    record: Callable[[Any, Any, Any], Any]
