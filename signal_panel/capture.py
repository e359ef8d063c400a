"""The hot path: instrument ``django.dispatch.Signal`` once per process.

``install()`` replaces ``Signal.send``, ``send_robust``, ``asend`` and
``asend_robust`` with copies of Django's own methods compiled with the
recorder in them (``signal_panel.gate``). Each copy's first statement is a
gate: while no recording is active in the current context, a send costs
Django's own code plus one context-variable read. While recording, the same
method runs a copy of Django's body that reports to the functions below:
:func:`begin` makes a :class:`Dispatch`, :func:`started` hears which
receivers Django resolved, :func:`enter` and :func:`done`/:func:`failed`
time each sync receiver where Django calls it (:func:`aenter`,
:func:`adone`, :func:`afailed` each async one where Django awaits it, and
:func:`parallel` those Django hands to ``asyncio.gather``), :func:`end`
records the dispatch. The receivers are called by Django's own code in
Django's own frame: they see the same callers, at the same depth.

When a method cannot be compiled (another library patched ``Signal`` first,
the source is not the code Python runs, or its shape is unknown) or the
``INSTRUMENTATION`` setting says ``"wrappers"``, the recorder falls back to
probes: Django's own method runs, and ``_live_receivers`` hands it a probe
per receiver that times it (one frame more between ``send()`` and each
receiver). Either way, exceptions raised by receivers pass through
untouched, and every step of bookkeeping is guarded: if the recorder fails,
the send still happens exactly as Django would do it.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import functools
import inspect
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
from django.dispatch import Signal, dispatcher
from django.dispatch.dispatcher import NO_RECEIVERS

from signal_panel import gate
from signal_panel.conf import get_config

if TYPE_CHECKING:
    from signal_panel.recording import Recording

_recordings: ContextVar[tuple[Recording, ...] | None] = ContextVar(
    "signal_panel_recordings", default=None
)
# The innermost Dispatch (while Django resolves its receivers and runs the
# sync ones: its ``running`` is the receiver's call) or async ReceiverCall of
# the current context: the parent of nested sends and the owner of SQL.
_current: ContextVar[Dispatch | ReceiverCall | None] = ContextVar(
    "signal_panel_current", default=None
)

_dispatch_ids = itertools.count(1)
_original: dict[str, Callable[..., Any]] = {}
_install_lock = threading.Lock()

# Set by signal_panel.lifecycle: called around request_started/request_finished.
request_hooks: list[Any] = []


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
        self.dispatch = dispatch
        # The parent of the dispatches nested in this call.
        self.dispatch_id = dispatch.id
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

    def __getattr__(self, name: str) -> Any:
        # Django reads receiver.__qualname__ when logging send_robust errors.
        return getattr(object.__getattribute__(self, "receiver"), name)


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
        "token",
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
            self.parent_id = parent.dispatch_id  # type: ignore[union-attr]
        self.parent = parent
        # Whether our _live_receivers hands Django probes (wrappers), or the
        # compiled copy of Django's method reports to started and enter.
        self.probe = probe
        # Whether its calls may refer back to it (probes) or to tracebacks
        # (errors): reference cycles that _end breaks.
        self.cyclic = probe
        # The sync receiver running now: the parent of nested sends and the
        # owner of SQL queries.
        self.running: ReceiverCall | None = None
        # The index the next sync and async receivers' calls get.
        self.next_sync = 0
        self.next_async = 0
        # Set when Django has resolved the receivers (see started and _probe).
        self.receivers: list[Any] = ()  # type: ignore[assignment]
        # Django's connection list as it was before this send, for the
        # receivers that did not run and why.
        self.connected: list[Any] = ()  # type: ignore[assignment]
        self.calls: list[ReceiverCall] = []
        self.duration: float | None = None
        self.error: BaseException | None = None
        self.armed = True
        self.token: Any = None
        self.start = perf_counter()


# The recorder's side of a compiled send (see gate._SEND) -------------------


def begin(
    signal: Signal, method: str, sender: Any, named: dict[str, Any], probe: bool = False
) -> Dispatch | None:
    """A send is starting: the Dispatch to record it into, made the current
    one, or None if no open recording of this context records it (orphans
    are counted here). Never raises."""
    try:
        if signal is request_started and request_hooks:
            for hook in request_hooks:
                hook.started(sender, named)
        recordings = _recordings.get()
        if not recordings:
            return None
        recordings = _recording_this(recordings, signal, sender)
        if not recordings:
            return None
        if not signal.receivers or (
            signal.use_caching and _cached_none(signal, sender)
        ):
            # An orphan: counted; Django's own code returns [] as usual.
            for recording in recordings:
                recording.count_orphan(signal, sender)
            return None
        dispatch = Dispatch(signal, method, sender, named, probe, recordings)
        dispatch.token = _current.set(dispatch)
        return dispatch
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        return None


def _recording_this(
    recordings: tuple[Recording, ...], signal: Signal, sender: Any
) -> tuple[Recording, ...]:
    """Those of ``recordings`` that are open and do not ignore this send.

    A thread or task that outlives its request (or ``record_signals()``
    block) keeps a copy of the context: its sends after the end belong to no
    recording.
    """
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


def _cached_none(signal: Signal, sender: Any) -> bool:
    try:
        return signal.sender_receivers_cache.get(sender) is NO_RECEIVERS
    except TypeError:
        return False  # Django's own check raises it again, for the user to see.


def started(
    dispatch: Dispatch,
    connected: list[Any],
    sync_receivers: list[Any],
    async_receivers: list[Any],
) -> None:
    """Django resolved these receivers; ``connected`` is its connection list
    as it was before."""
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


def enter(dispatch: Dispatch, receiver: Any) -> ReceiverCall:
    """Django is about to call a sync receiver: its call, started."""
    try:
        # ReceiverCall.__init__ inlined (a call less per receiver). No
        # reference back to the dispatch: no cycle to break when it ends.
        call = _new_call(ReceiverCall)
        call.receiver = receiver
        call.index = dispatch.next_sync
        call.is_async = False
        call.error = call.queries = call.nested_queries = call.token = None
        dispatch.next_sync += 1
        dispatch.calls.append(call)
        dispatch.running = call
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
        call = _unrecorded(receiver)
    call.start = perf_counter()
    return call


_new_call = object.__new__


def done(dispatch: Dispatch, call: ReceiverCall, result: Any) -> None:
    """The sync receiver of ``call`` returned ``result``."""
    call.duration = perf_counter() - call.start
    call.result = result
    dispatch.running = None


def failed(dispatch: Dispatch, call: ReceiverCall, exc: BaseException) -> None:
    """The sync receiver of ``call`` raised ``exc`` (which goes on up)."""
    with contextlib.suppress(Exception):
        call.duration = perf_counter() - call.start
        call.error = exc
        dispatch.running = None
        dispatch.cyclic = True  # The traceback holds the send's frame.


def aenter(dispatch: Dispatch | None, receiver: Any) -> ReceiverCall:
    """Django is about to await an async receiver: its call, started and
    made the current one of this context (for its SQL and nested sends)."""
    call = _async_call(dispatch, receiver)
    with contextlib.suppress(Exception):
        call.token = _current.set(call)
    call.start = perf_counter()
    return call


def _async_call(dispatch: Dispatch | None, receiver: Any) -> ReceiverCall:
    """A new call of an async receiver, in the dispatch's calls (none if the
    send has ended: a sibling raised, and the send went on without it)."""
    try:
        if dispatch is not None:
            call = ReceiverCall(dispatch, receiver, True, dispatch.next_async)
            call.dispatch = None  # type: ignore[assignment]  # No cycle to break.
            dispatch.next_async += 1
            dispatch.calls.append(call)
            return call
    except Exception as exc:
        _fail(_recordings.get() or (), exc)
    return _unrecorded(receiver)


def _unrecorded(receiver: Any) -> ReceiverCall:
    """A call timed as usual but recorded nowhere."""
    call = ReceiverCall.__new__(ReceiverCall)
    call.dispatch = call.dispatch_id = call.token = None  # type: ignore[assignment]
    call.receiver = receiver
    call.queries = call.nested_queries = call.error = call.result = None
    call.is_async, call.index, call.start, call.duration = True, 0, 0.0, None
    return call


def adone(dispatch: Dispatch | None, call: ReceiverCall, result: Any) -> None:
    """The async receiver of ``call`` returned ``result``."""
    call.duration = perf_counter() - call.start
    call.result = result
    _leave(call)


def afailed(dispatch: Dispatch | None, call: ReceiverCall, exc: BaseException) -> None:
    """The async receiver of ``call`` raised ``exc`` (which goes on up)."""
    with contextlib.suppress(Exception):
        call.duration = perf_counter() - call.start
        call.error = exc
        _leave(call)
        if dispatch is not None:
            dispatch.cyclic = True


def _leave(call: ReceiverCall) -> None:
    token, call.token = call.token, None
    if token is not None:
        with contextlib.suppress(Exception):  # A context of another task.
            _current.reset(token)


_gather = asyncio.gather
# Django's own _run_parallel (6.1) -> its compiled copy that times receivers.
_timed_runners: dict[Any, Callable[..., Any]] = {}


def parallel(
    dispatch: Dispatch | None, runner: Any, receivers: list[Any], *coroutines: Any
) -> Any:
    """``runner(*coroutines)`` (Django's ``asyncio.gather`` or
    ``_run_parallel`` of the async receivers' coroutines), each one timed.

    ``asyncio.gather`` wraps each coroutine in a task; the tasks are made
    here instead, the same way, each with a callback that ends its call:
    the receivers run under the same frames as without recording.
    """
    timed = _timed_runners.get(runner)
    if dispatch is None:
        return runner(*coroutines)
    if runner is _gather:
        return runner(*_tasks(dispatch, receivers, coroutines))
    if timed is not None:
        return timed(dispatch, receivers, *coroutines)
    # A runner patched in by someone else: probes (one frame more).
    return runner(
        *(
            _probed(dispatch, receiver, coroutine)
            for receiver, coroutine in zip(receivers, coroutines, strict=False)
        )
    )


def _tasks(
    dispatch: Dispatch, receivers: list[Any], coroutines: tuple[Any, ...]
) -> list[Any]:
    """What ``asyncio.gather`` makes of ``coroutines``: a task each, each
    timed, in the current context with the receiver's call as current."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return list(coroutines)  # asyncio.gather raises as it would.
    tasks = []
    for receiver, coroutine in zip(receivers, coroutines, strict=False):
        if not asyncio.iscoroutine(coroutine):
            tasks.append(coroutine)
            continue
        call = _async_call(dispatch, receiver)
        call.start = perf_counter()
        with contextlib.suppress(Exception):
            loop.call_soon(_starting, call, coroutine)
        token = _current.set(call)
        try:
            task = loop.create_task(coroutine)
        finally:
            _current.reset(token)
        with contextlib.suppress(Exception):
            task._log_destroy_pending = False  # As asyncio.gather sets it.
            task.add_done_callback(functools.partial(_task_done, call))
        tasks.append(task)
    return tasks


def _starting(call: ReceiverCall, coroutine: Any) -> None:
    """Run by the loop just before the task's first step (unless an eager
    task factory ran it already). Never raises: the loop would log it."""
    with contextlib.suppress(Exception):
        if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
            call.start = perf_counter()


def _task_done(call: ReceiverCall, task: asyncio.Task[Any]) -> None:
    """A receiver's task is done. Never raises: the loop would log it."""
    with contextlib.suppress(Exception):
        call.duration = perf_counter() - call.start
        if task.cancelled():
            call.error = asyncio.CancelledError()
        elif task.exception() is not None:
            call.error = task.exception()
        else:
            call.result = task.result()


async def _probed(dispatch: Dispatch, receiver: Any, coroutine: Any) -> Any:
    call = aenter(dispatch, receiver)
    try:
        result = await coroutine
    except BaseException as exc:
        afailed(dispatch, call, exc)
        raise
    adone(dispatch, call, result)
    return result


def end(dispatch: Dispatch, responses: list[tuple[Any, Any]] | None = None) -> None:
    """The send returned ``responses`` or raised ``dispatch.error``: record
    it, give the user's receivers back (probes) and break reference cycles.
    Never raises."""
    token, dispatch.token = dispatch.token, None
    with contextlib.suppress(Exception):  # A context of another task.
        _current.reset(token)
    _end(dispatch.recordings, dispatch, responses)
    if dispatch.signal is request_finished:
        _finished(request_finished)


def _end(
    recordings: tuple[Recording, ...],
    dispatch: Dispatch,
    responses: list[tuple[Any, Any]] | None,
) -> None:
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
    the send's frame: it must hold nothing more."""
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


def finished(signal: Signal) -> None:
    """A send nothing recorded has returned: the request_finished hooks."""
    if signal is request_finished:
        _finished(signal)


def _finished(signal: Signal) -> None:
    if request_hooks:
        for hook in request_hooks:
            try:
                hook.finished()
            except Exception as exc:
                # Runs inside the user's response.close(): never raise there.
                _fail(_recordings.get() or (), exc)


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


# Probes: Django's own method runs, our _live_receivers hands it probes ------


class _SyncProbe(ReceiverCall):
    """A sync receiver's probe, taking any keyword arguments."""

    __slots__ = ()

    @classmethod
    def for_names(cls, names: tuple[str, ...]) -> type[ReceiverCall]:
        """The probe class for a send with these keyword argument names."""
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


class _AsyncProbe(ReceiverCall):
    """An async receiver's probe; the coroutine it returns times the receiver."""

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
    """A sync probe class whose ``__call__`` takes exactly these keyword arguments.

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


def _record_sync(
    original: Callable[..., Any],
    method: str,
    signal: Signal,
    sender: Any,
    named: dict[str, Any],
) -> Any:
    """Django's own send method ``original``, recorded through probes."""
    dispatch = begin(signal, method, sender, named, probe=True)
    if dispatch is None:
        try:
            return original(signal, sender, **named)
        finally:
            finished(signal)
    try:
        responses = original(signal, sender, **named)
    except BaseException as exc:
        dispatch.error = exc
        end(dispatch)
        # The traceback keeps this frame: it must not keep the dispatch.
        dispatch = None  # type: ignore[assignment]
        raise
    end(dispatch, responses)
    dispatch = None  # type: ignore[assignment]
    return responses


async def _record_async(
    original: Callable[..., Any],
    method: str,
    signal: Signal,
    sender: Any,
    named: dict[str, Any],
) -> Any:
    """Django's own async send method ``original``, recorded through probes."""
    dispatch = begin(signal, method, sender, named, probe=True)
    if dispatch is None:
        try:
            return await original(signal, sender, **named)
        finally:
            finished(signal)
    try:
        responses = await original(signal, sender, **named)
    except BaseException as exc:
        dispatch.error = exc
        end(dispatch)
        dispatch = None  # type: ignore[assignment]
        raise
    end(dispatch, responses)
    dispatch = None  # type: ignore[assignment]
    return responses


def send(self: Signal, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return _original["send"](self, sender, **named)
    return _record_sync(_original["send"], "send", self, sender, named)


def send_robust(self: Signal, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return _original["send_robust"](self, sender, **named)
    return _record_sync(_original["send_robust"], "send_robust", self, sender, named)


async def asend(self: Signal, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return await _original["asend"](self, sender, **named)
    return await _record_async(_original["asend"], "asend", self, sender, named)


async def asend_robust(
    self: Signal, sender: Any, **named: Any
) -> list[tuple[Any, Any]]:
    if _recordings.get() is None and self is not request_started:
        return await _original["asend_robust"](self, sender, **named)
    return await _record_async(
        _original["asend_robust"], "asend_robust", self, sender, named
    )


def _probing() -> bool:
    """Whether the current send is recorded through probes and has not yet
    resolved its receivers."""
    dispatch = _current.get()
    return (
        dispatch is not None
        and dispatch.__class__ is Dispatch
        and dispatch.probe  # type: ignore[union-attr]
        and dispatch.armed  # type: ignore[union-attr]
    )


def _live_receivers(self: Signal, sender: Any) -> tuple[list[Any], list[Any]]:
    if not _probing():
        return _original["_live_receivers"](self, sender)
    return _probe_receivers(_original["_live_receivers"], self, sender)


def _probe_receivers(
    original: Callable[..., Any], signal: Signal, sender: Any
) -> tuple[list[Any], list[Any]]:
    """Django's live receivers, a probe in place of each."""
    dispatch: Dispatch = _current.get()  # type: ignore[assignment]
    if dispatch.signal is not signal:
        return original(signal, sender)
    connected = signal.receivers[:]
    sync_receivers, async_receivers = original(signal, sender)
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


# Install ---------------------------------------------------------------------

_WRAPPERS: dict[str, Callable[..., Any]] = {
    "send": send,
    "send_robust": send_robust,
    "asend": asend,
    "asend_robust": asend_robust,
    "_live_receivers": _live_receivers,
}
# What each function install() may put on Signal is: "compiled" (Django's
# method with the recorder compiled in), "gated" (Django's method with a gate
# that records through probes) or "wrapper" (a plain wrapper).
_kinds: dict[Any, str] = {wrapper: "wrapper" for wrapper in _WRAPPERS.values()}


def _hooks() -> dict[str, Any]:
    return {
        "recordings": _recordings.get,
        "request_started": request_started,
        "begin": begin,
        "end": end,
        "finished": finished,
        "started": started,
        "enter": enter,
        "done": done,
        "failed": failed,
        "aenter": aenter,
        "adone": adone,
        "afailed": afailed,
        "parallel": parallel,
    }


@functools.cache
def methods(mode: str) -> dict[str, Callable[..., Any]]:
    """What ``Signal``'s methods become, per mode: ``"compiled"`` (each send
    method compiled with the recorder in it where possible, else gated),
    ``"mixed"`` (each gated, recording through probes) or ``"wrappers"``."""
    if mode == "wrappers":
        return dict(_WRAPPERS)
    runners = {"asyncio.gather"}
    run_parallel = getattr(dispatcher, "_run_parallel", None)
    if mode == "compiled" and run_parallel is not None:
        timed = gate.compile_parallel(run_parallel, _hooks(), __name__)
        if timed is not None:
            _timed_runners[run_parallel] = timed
            runners.add("_run_parallel")
    found = {
        name: _compiled(name, frozenset(runners)) if mode == "compiled" else None
        for name in gate.SEND_METHODS
    }
    for name, method in found.items():
        found[name] = method or _gated(name) or _WRAPPERS[name]
    if any(_kinds[method] != "compiled" for method in found.values()):
        hooks = {"probing": _probing, "record": _probe_receivers}
        original = _original["_live_receivers"]
        gated = gate.compile_gated("_live_receivers", original, hooks, __name__)
        found["_live_receivers"] = _kind(gated, "gated") or _live_receivers
    return found  # type: ignore[return-value]


def _compiled(name: str, runners: frozenset[str]) -> Callable[..., Any] | None:
    method = gate.compile_send(name, _original[name], _hooks(), __name__, runners)
    return _kind(method, "compiled")


def _gated(name: str) -> Callable[..., Any] | None:
    hooks = {
        "recordings": _recordings.get,
        "request_started": request_started,
        "record": _record_async if name.startswith("a") else _record_sync,
    }
    method = gate.compile_gated(name, _original[name], hooks, __name__)
    return _kind(method, "gated")


def _kind(method: Callable[..., Any] | None, kind: str) -> Callable[..., Any] | None:
    if method is not None:
        _kinds[method] = kind
    return method


def install(mode: str | None = None) -> None:
    """Instrument ``Signal`` for this process. Idempotent and thread-safe.

    ``mode`` defaults to the ``INSTRUMENTATION`` setting: ``"auto"`` compiles
    what can be compiled, ``"wrappers"`` never compiles.
    """
    if mode is None:
        mode = get_config().instrumentation
    with _install_lock:
        if _original:
            return
        for name, wrapper in _WRAPPERS.items():
            original = Signal.__dict__[name]
            wrapper.__wrapped__ = original  # type: ignore[attr-defined]
            wrapper.__doc__ = original.__doc__
            _original[name] = original
        for name, method in methods(
            "wrappers" if mode == "wrappers" else "compiled"
        ).items():
            setattr(Signal, name, method)
    from signal_panel import queries

    queries.install()


def instrumentation() -> str:
    """How ``Signal`` is instrumented now: ``"compiled"`` (copies of Django's
    methods with the recorder compiled in), ``"wrappers"`` (Django's methods
    wrapped, receivers probed), ``"mixed"`` (some or all methods gated,
    recording through probes), or ``"none"``."""
    kinds = {_kinds.get(Signal.__dict__.get(name)) for name in gate.SEND_METHODS}
    if kinds == {"compiled"}:
        return "compiled"
    if kinds == {"wrapper"}:
        return "wrappers"
    if None in kinds:
        return "none"
    return "mixed"


def is_installed() -> bool:
    return bool(_original)


def active_recordings() -> tuple[Recording, ...]:
    return _recordings.get() or ()
