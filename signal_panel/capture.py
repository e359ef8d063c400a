"""The hot path: instrument ``django.dispatch.Signal`` once per process.

``install()`` replaces ``Signal.send``, ``send_robust``, ``asend``,
``asend_robust`` and ``_live_receivers`` with copies of Django's own methods
whose first statement is a gate (``signal_panel.gate``; plain wrappers if that
is not possible). While no recording is active in the current context, a
send costs Django's own code plus one context-variable read.

While a recording is active, the gate creates a :class:`Dispatch`, makes it
the current one and calls the recorded copy of Django's method (see
``signal_panel.gate``): Django's code, which reports the receivers it
resolved (:func:`_started`) and times each sync receiver in place
(:func:`_enter`); async receivers run through a probe. The responses hold the
user's own receivers. Without compiled copies (plain wrappers), Django's own
method runs and our ``_live_receivers`` hands it a probe per receiver; the
user's receivers are swapped back into the responses. Exceptions raised by
receivers pass through untouched. Every step of bookkeeping is guarded: if
the recorder fails, the send still happens exactly as Django would do it.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import keyword
import sys
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any

from django.core.signals import request_finished, request_started
from django.dispatch import Signal
from django.dispatch.dispatcher import NO_RECEIVERS

if TYPE_CHECKING:
    from signal_panel.recording import Recording

_recordings: ContextVar[tuple[Recording, ...] | None] = ContextVar(
    "signal_panel_recordings", default=None
)
# The innermost Dispatch (while Django resolves its receivers) or ReceiverCall
# (while a receiver runs) of the current context: the parent of nested sends.
_current: ContextVar[Dispatch | ReceiverCall | None] = ContextVar(
    "signal_panel_current", default=None
)

_dispatch_ids = itertools.count(1)
_original: dict[str, Callable[..., Any]] = {}
_install_lock = threading.Lock()

# Set by signal_panel.lifecycle: called around request_started/request_finished.
request_hooks: list[Any] = []


class ReceiverCall:
    """One receiver run inside one dispatch.

    Django calls it in the receiver's place (it is the receiver's probe): it
    times the receiver, keeps its result or error, and is the current call of
    the context while the receiver runs. The send swaps the user's receiver
    back into the responses. Sync calls of a send whose keyword arguments are
    plain names use a class made by :func:`_call_class`.
    """

    __slots__ = (
        "dispatch",
        "duration",
        "error",
        "index",
        "is_async",
        "nested_queries",
        "queries",
        "receiver",
        "result",
        "start",
    )

    def __init__(
        self, dispatch: Dispatch, receiver: Any, is_async: bool = False, index: int = 0
    ) -> None:
        self.dispatch = dispatch
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

    def __getattr__(self, name: str) -> Any:
        # Django reads receiver.__qualname__ when logging send_robust errors.
        return getattr(object.__getattribute__(self, "receiver"), name)


class _SyncProbe(ReceiverCall):
    """A sync receiver's call, taking any keyword arguments."""

    __slots__ = ()

    @classmethod
    def for_names(cls, names: tuple[str, ...]) -> type[ReceiverCall]:
        """The call class for a send with these keyword argument names."""
        return _call_classes.get(names) or _call_class(names)

    def __call__(self, **kwargs: Any) -> Any:
        self.dispatch.calls.append(self)
        token = _current.set(self)
        self.start = start = perf_counter()
        try:
            self.result = result = self.receiver(**kwargs)
            return result
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.duration = perf_counter() - start
            _current.reset(token)


class Dispatch:
    """One call of ``send``/``send_robust``/``asend``/``asend_robust``."""

    __slots__ = (
        "armed",
        "calls",
        "connected",
        "cyclic",
        "duration",
        "error",
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
    )

    def __init__(
        self,
        signal: Signal,
        method: str,
        sender: Any,
        named: dict[str, Any],
        probe: bool = False,
        recordings: tuple[Recording, ...] = (),
    ) -> None:
        self.id = next(_dispatch_ids)
        self.recordings = recordings
        self.signal = signal
        self.method = method
        self.sender = sender
        self.named = named
        # The dispatch, or the receiver's call, this one is nested in.
        parent = _current.get()
        if parent is None:
            self.parent_id = None
        elif parent.__class__ is Dispatch:
            self.parent_id = parent.id
            if parent.running is not None:  # type: ignore[union-attr]
                parent = parent.running  # type: ignore[union-attr]
        else:
            self.parent_id = parent.dispatch.id  # type: ignore[union-attr]
        self.parent = parent
        # Whether our _live_receivers hands Django probes (plain wrappers), or
        # the recorded copy of Django's method reports to _started and _enter.
        self.probe = probe
        # Whether its calls may refer back to it (probes) or to tracebacks
        # (errors): reference cycles that _end breaks.
        self.cyclic = probe
        # The sync receiver running now (or the last that ran), in a recorded
        # copy: the parent of nested sends and the owner of SQL queries.
        self.running: ReceiverCall | None = None
        # The index the next sync and async receivers' calls get.
        self.next_sync = 0
        self.next_async = 0
        # Set when Django has resolved the receivers (see _started and _probe).
        self.receivers: list[Any] = ()  # type: ignore[assignment]
        # Django's connection list as it was before this send, for the
        # receivers that did not run and why.
        self.connected: list[Any] = ()  # type: ignore[assignment]
        self.calls: list[ReceiverCall] = []
        self.duration: float | None = None
        self.error: BaseException | None = None
        self.armed = True
        self.start = perf_counter()


class _AsyncProbe(ReceiverCall):
    """An async receiver's call; the coroutine it returns times the receiver."""

    __slots__ = ()

    async def __call__(self, **kwargs: Any) -> Any:  # type: ignore[override]
        self.dispatch.calls.append(self)
        token = _current.set(self)
        self.start = start = perf_counter()
        try:
            self.result = result = await self.receiver(**kwargs)
            return result
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.duration = perf_counter() - start
            _current.reset(token)


# Every class Django may find in a send's responses in place of a receiver.
_PROBES: set[type[ReceiverCall]] = {_SyncProbe, _AsyncProbe}
_call_classes: dict[tuple[str, ...], type[ReceiverCall]] = {}
# The line of capture.py where _CALL_SOURCE starts: the compiled calls point
# at it, so tracebacks (and the toolbar's SQL stack traces, which look up the
# module of every file name they meet) find a real file and its real lines.
_CALL_SOURCE_LINE = sys._getframe().f_lineno + 1
_CALL_SOURCE = """
def __call__(_sp_self, *, signal, sender{params}):
    _sp_self.dispatch.calls.append(_sp_self)
    _sp_token = _sp_set(_sp_self)
    _sp_self.start = _sp_start = _sp_clock()
    try:
        _sp_self.result = _sp_result = _sp_self.receiver(
            signal=signal, sender=sender{arguments}
        )
        return _sp_result
    except BaseException as _sp_exc:
        _sp_self.error = _sp_exc
        raise
    finally:
        _sp_self.duration = _sp_clock() - _sp_start
        _sp_reset(_sp_token)
"""


def _call_class(names: tuple[str, ...]) -> type[ReceiverCall]:
    """A sync call class whose ``__call__`` takes exactly these keyword arguments.

    Django calls each receiver with ``signal``, ``sender`` and the send's own
    keyword arguments. A probe taking ``**kwargs`` has to re-pack them to call
    the receiver (a second dict and a slow call: about a microsecond per
    receiver); one taking them by name passes them straight on. Made once per
    set of names; sends with unusual names use _SyncProbe itself.
    """
    if len(_call_classes) >= 256 or not all(
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_sp_")
        and name not in ("signal", "sender")
        for name in names
    ):
        return _SyncProbe
    namespace = {
        "_sp_set": _current.set,
        "_sp_reset": _current.reset,
        "_sp_clock": perf_counter,
        "__name__": __name__,
    }
    source = _CALL_SOURCE.format(
        params="".join(f", {name}" for name in names),
        arguments="".join(f", {name}={name}" for name in names),
    )
    tree = ast.parse(source)
    ast.increment_lineno(tree, _CALL_SOURCE_LINE - 1)
    exec(compile(tree, __file__, "exec"), namespace)
    cls = type(
        "_SyncProbe",
        (_SyncProbe,),
        {"__slots__": (), "__call__": namespace["__call__"], "__module__": __name__},
    )
    _PROBES.add(cls)
    _call_classes[names] = cls
    return cls


def _begin(
    signal: Signal, method: str, sender: Any, named: dict[str, Any], probe: bool
) -> tuple[tuple[Recording, ...], Dispatch | None]:
    """Start recording one send; return the recordings and the Dispatch, if any."""
    if signal is request_started and request_hooks:
        for hook in request_hooks:
            hook.started(sender, named)
    recordings = _recordings.get()
    if not recordings:
        return (), None
    recordings = _recording_this(recordings, signal, sender)
    if not recordings:
        return (), None
    if not signal.receivers or (signal.use_caching and _cached_none(signal, sender)):
        # An orphan: counted, and the caller returns [] as Django would.
        for recording in recordings:
            recording.count_orphan(signal, sender)
        return recordings, None
    return recordings, Dispatch(signal, method, sender, named, probe, recordings)


def _recording_this(
    recordings: tuple[Recording, ...], signal: Signal, sender: Any
) -> tuple[Recording, ...]:
    """Those of ``recordings`` that are open and do not ignore this send."""
    if len(recordings) == 1:  # The usual case, without a new tuple.
        recording = recordings[0]
        if (
            recording.end is None
            and id(signal) not in recording.ignored_signals
            and id(sender) not in recording.ignored_senders
        ):
            return recordings
        return ()
    return tuple(
        recording
        for recording in recordings
        if recording.end is None
        and id(signal) not in recording.ignored_signals
        and id(sender) not in recording.ignored_senders
    )


def _open_recordings() -> tuple[Recording, ...]:
    """The current context's recordings that have not been closed.

    A thread or task that outlives its request (or ``record_signals()``
    block) keeps a copy of the context: its sends after request_finished
    belong to no recording.
    """
    recordings = _recordings.get()
    if not recordings:
        return ()
    for recording in recordings:
        if recording.end is not None:
            return tuple(r for r in recordings if r.end is None)
    return recordings


def _cached_none(signal: Signal, sender: Any) -> bool:
    try:
        return signal.sender_receivers_cache.get(sender) is NO_RECEIVERS
    except TypeError:
        return False  # Django's own check raises it again, for the user to see.


def _end(
    recordings: tuple[Recording, ...],
    dispatch: Dispatch,
    responses: list[tuple[Any, Any]] | None,
) -> None:
    """The send returned ``responses`` (None if it raised): record it, give
    the user's receivers back and break reference cycles. Never raises."""
    try:
        dispatch.duration = perf_counter() - dispatch.start
        if dispatch.armed:
            # Django took its no-receivers fast path or found none alive.
            for recording in recordings:
                recording.count_orphan(dispatch.signal, dispatch.sender)
            return
        parent = dispatch.parent
        if parent is not None and parent.__class__ is not Dispatch:
            _roll_up_queries(dispatch, parent)  # type: ignore[arg-type]
        for recording in recordings:
            try:
                recording.finish(dispatch)
            except Exception as exc:
                _fail((recording,), exc)
    except Exception as exc:
        _fail(recordings, exc)
    finally:
        # Otherwise nothing refers back to the dispatch: it simply goes.
        if dispatch.cyclic or dispatch.error is not None:
            _release(dispatch, responses)


def _release(dispatch: Dispatch, responses: list[tuple[Any, Any]] | None) -> None:
    """Swap the user's receivers back into the responses (probes only), and
    break the dispatch <-> call and traceback cycles, so that weakly connected
    receivers die when Django's own references go, not at the next garbage
    collection. A traceback the user keeps (a ``send_robust`` error) holds
    the recorded send's frame, and the dispatch in it: it must hold nothing
    more."""
    dispatch.error = None
    try:
        if responses and dispatch.probe:
            for index, (receiver, response) in enumerate(responses):
                if receiver.__class__ in _PROBES:
                    responses[index] = (receiver.receiver, response)
        for call in dispatch.calls:
            call.dispatch = call.result = call.error = None  # type: ignore[assignment]
        dispatch.calls = []
        dispatch.named = dispatch.running = dispatch.parent = None  # type: ignore[assignment]
        dispatch.recordings = ()
        dispatch.receivers = dispatch.connected = ()  # type: ignore[assignment]
    except Exception as exc:
        _fail(dispatch.recordings, exc)


def _roll_up_queries(dispatch: Dispatch, parent: ReceiverCall) -> None:
    """Add a nested dispatch's SQL (its own and deeper) to the receiver around it."""
    count, seconds = 0, 0.0
    for call in dispatch.calls:
        for alias_count, alias_seconds in (call.queries or {}).values():
            count += alias_count
            seconds += alias_seconds
        if call.nested_queries:
            count += call.nested_queries[0]
            seconds += call.nested_queries[1]
    if count:
        if parent.nested_queries is None:
            parent.nested_queries = [0, 0.0]
        parent.nested_queries[0] += count
        parent.nested_queries[1] += seconds


def _fail(recordings: tuple[Recording, ...], exc: BaseException) -> None:
    for recording in recordings:
        with contextlib.suppress(Exception):  # Never a second fault for the user.
            recording.fail(exc)


def _finished(signal: Signal) -> None:
    if signal is request_finished and request_hooks:
        for hook in request_hooks:
            try:
                hook.finished()
            except Exception as exc:
                # Runs inside the user's response.close(): never raise there.
                _fail(_recordings.get() or (), exc)


def _record_sync(
    original: Callable[..., Any],
    recorded: Callable[..., Any] | None,
    method: str,
    signal: Signal,
    sender: Any,
    named: dict[str, Any],
) -> Any:
    try:
        recordings, dispatch = _begin(
            signal, method, sender, named, probe=recorded is None
        )
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        recordings, dispatch = (), None
    if dispatch is None:
        if recordings:  # An orphan, counted: no receivers, nothing to call.
            if signal is request_finished:
                _finished(signal)
            return []
        try:
            return original(signal, sender, **named)
        finally:
            _finished(signal)
    token = _current.set(dispatch)
    try:
        if recorded is not None:
            responses = recorded(signal, sender, named, dispatch)
        else:
            responses = original(signal, sender, **named)
    except BaseException as exc:
        dispatch.error = exc
        _current.reset(token)
        _end(recordings, dispatch, None)
        _finished(signal)
        # The traceback keeps this frame: it must not keep the recordings.
        recordings = dispatch = token = None  # type: ignore[assignment]
        raise
    _current.reset(token)
    _end(recordings, dispatch, responses)
    if signal is request_finished:
        _finished(signal)
    # A traceback kept from a send_robust error keeps this frame (the parent
    # of the recorded send's): it must not keep the recordings.
    recordings = dispatch = token = None  # type: ignore[assignment]
    return responses


async def _record_async(
    original: Callable[..., Any],
    recorded: Callable[..., Any] | None,
    method: str,
    signal: Signal,
    sender: Any,
    named: dict[str, Any],
) -> Any:
    try:
        recordings, dispatch = _begin(
            signal, method, sender, named, probe=recorded is None
        )
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        recordings, dispatch = (), None
    if dispatch is None:
        if recordings:  # An orphan, counted: no receivers, nothing to call.
            if signal is request_finished:
                _finished(signal)
            return []
        try:
            return await original(signal, sender, **named)
        finally:
            _finished(signal)
    token = _current.set(dispatch)
    try:
        if recorded is not None:
            responses = await recorded(signal, sender, named, dispatch)
        else:
            responses = await original(signal, sender, **named)
    except BaseException as exc:
        dispatch.error = exc
        _current.reset(token)
        _end(recordings, dispatch, None)
        _finished(signal)
        # The traceback keeps this frame: it must not keep the recordings.
        recordings = dispatch = token = None  # type: ignore[assignment]
        raise
    _current.reset(token)
    _end(recordings, dispatch, responses)
    _finished(signal)
    recordings = dispatch = token = None  # type: ignore[assignment]
    return responses


def send(self: Signal, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return _original["send"](self, sender, **named)
    return _record_sync(_original["send"], None, "send", self, sender, named)


def send_robust(self: Signal, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return _original["send_robust"](self, sender, **named)
    return _record_sync(
        _original["send_robust"], None, "send_robust", self, sender, named
    )


async def asend(self: Signal, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return await _original["asend"](self, sender, **named)
    return await _record_async(_original["asend"], None, "asend", self, sender, named)


async def asend_robust(
    self: Signal, sender: Any, **named: Any
) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return await _original["asend_robust"](self, sender, **named)
    return await _record_async(
        _original["asend_robust"], None, "asend_robust", self, sender, named
    )


def _live_receivers(self: Signal, sender: Any) -> tuple[list[Any], list[Any]]:
    dispatch = _current.get()
    if (
        dispatch is None
        or dispatch.__class__ is not Dispatch
        or not dispatch.probe
        or not dispatch.armed
        or dispatch.signal is not self
    ):
        return _original["_live_receivers"](self, sender)
    connected = self.receivers[:]
    sync_receivers, async_receivers = _original["_live_receivers"](self, sender)
    if not sync_receivers and not async_receivers:
        return sync_receivers, async_receivers  # An orphan, counted when it ends.
    try:
        return _probe(dispatch, connected, sync_receivers, async_receivers)
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        return sync_receivers, async_receivers


def _probe(
    dispatch: Dispatch,
    connected: list[Any],
    sync_receivers: list[Any],
    async_receivers: list[Any],
) -> tuple[list[Any], list[Any]]:
    """Start the dispatch in each recording; hand Django probes to call."""
    dispatch.armed = False
    dispatch.connected = _weakly(connected)
    # Django made these lists for this send alone; it gets the probes instead.
    dispatch.receivers = (
        [*sync_receivers, *async_receivers] if async_receivers else sync_receivers
    )
    for recording in dispatch.recordings:
        recording.start(dispatch)
    call = _SyncProbe.for_names(tuple(dispatch.named))
    first_async = len(sync_receivers)
    return (
        [call(dispatch, r, False, i) for i, r in enumerate(sync_receivers)],
        [
            _AsyncProbe(dispatch, r, True, first_async + i)
            for i, r in enumerate(async_receivers)
        ],
    )


def _started(
    dispatch: Dispatch,
    connected: list[Any],
    sync_receivers: list[Any],
    async_receivers: list[Any],
) -> None:
    """A recorded copy of Django's method resolved these receivers.

    ``connected`` is Django's connection list as it was before.
    """
    dispatch.next_async = len(sync_receivers)
    try:
        dispatch.armed = False
        dispatch.connected = _weakly(connected)
        dispatch.receivers = (
            [*sync_receivers, *async_receivers] if async_receivers else sync_receivers
        )
        for recording in dispatch.recordings:
            recording.start(dispatch)
    except Exception as exc:
        _fail(dispatch.recordings, exc)


def _enter(dispatch: Dispatch, receiver: Any) -> ReceiverCall:
    """A recorded copy of Django's method is about to call a sync receiver."""
    try:
        # ReceiverCall.__init__ inlined (a call less per receiver). No
        # reference back to the dispatch: no cycle to break when it ends.
        # The caller sets duration, and result or (through _raised) error.
        call = _new_call(ReceiverCall)
        call.receiver = receiver
        call.index = dispatch.next_sync
        call.is_async = False
        call.error = call.queries = call.nested_queries = None
        dispatch.next_sync += 1
        dispatch.calls.append(call)
        dispatch.running = call
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        # Timed as usual by the caller, but recorded nowhere.
        call = ReceiverCall.__new__(ReceiverCall)
    call.start = perf_counter()
    return call


_new_call = object.__new__


def _raised(dispatch: Dispatch, call: ReceiverCall, exc: BaseException) -> None:
    """The sync receiver of ``call`` raised ``exc`` (which goes on up)."""
    with contextlib.suppress(Exception):
        call.duration = perf_counter() - call.start
        call.error = exc
        dispatch.running = None
        dispatch.cyclic = True  # The traceback holds the recorded send's frame.


def _async_probe(dispatch: Dispatch, receiver: Any) -> Any:
    """What a recorded copy of Django's method calls in place of an async
    receiver: a probe, which times it as its coroutine runs."""
    try:
        index = dispatch.next_async
        dispatch.next_async = index + 1
        dispatch.cyclic = True
        return _AsyncProbe(dispatch, receiver, True, index)
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        return receiver


def _weakly(connected: list[Any]) -> list[Any]:
    """Django's connection entries, holding strongly connected receivers only
    weakly: a receiver disconnected during the send must die when Django lets
    go of it, as it would without recording."""
    for entry in connected:
        if not isinstance(entry[1], weakref.ReferenceType):
            break
    else:
        return connected  # All weak (Django's default): the copy as it is.
    entries = []
    for entry in connected:
        target = entry[1]
        if not isinstance(target, weakref.ReferenceType):
            # One that is not weakly referenceable is kept as Django keeps it.
            with contextlib.suppress(TypeError):
                entry = (entry[0], weakref.ref(target), *entry[2:])
        entries.append(entry)
    return entries


_WRAPPERS = {
    "send": send,
    "send_robust": send_robust,
    "asend": asend,
    "asend_robust": asend_robust,
    "_live_receivers": _live_receivers,
}


def install() -> None:
    """Instrument ``Signal`` for this process. Idempotent and thread-safe.

    Each send method becomes Django's own with the gate compiled in, which
    records through the recorded copy (see ``signal_panel.gate``), or the
    plain wrapper above if that is not possible. ``_live_receivers`` is only
    instrumented if some send needs probes: otherwise it stays Django's own.
    """
    from signal_panel import gate

    with _install_lock:
        if _original:
            return
        for name, wrapper in _WRAPPERS.items():
            original = Signal.__dict__[name]
            wrapper.__wrapped__ = original  # type: ignore[attr-defined]
            wrapper.__doc__ = original.__doc__
            _original[name] = original
        probed = False
        for name in gate.SEND_METHODS:
            recorded = gate.compile_recorded(name, _original[name])
            gated = gate.compile_gated(name, _original[name], recorded)
            setattr(Signal, name, gated or _WRAPPERS[name])
            probed = probed or gated is None or recorded is None
        if probed:
            gated = gate.compile_gated("_live_receivers", _original["_live_receivers"])
            Signal._live_receivers = gated or _live_receivers  # type: ignore[method-assign]
    from signal_panel import queries

    queries.install()


def is_installed() -> bool:
    return bool(_original)


def active_recordings() -> tuple[Recording, ...]:
    return _recordings.get() or ()
