"""The hot path: one dispatch, from ``send()`` to its record.

While something records, Django's send methods (compiled with the recorder
in them, see ``compiler``) call these functions, in Django's own frame:

    begin()          a Dispatch for this send, made the current one
    started()        Django resolved these receivers: the recordings open it
    ...              each sync receiver's call is timed inline (a call of
                     ``inflight``, written by the compiled code)
    failed()         ... unless it raised
    end()            the send returned or raised: the recordings record it

Async receivers go through ``async_receivers``; the fallback's probes
through ``probes``. Every step is guarded: if the recorder fails, the send
still happens exactly as Django would do it, and the recording lists the
failure.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from time import perf_counter
from typing import Any

from django.core.signals import request_finished, request_started
from django.dispatch import Signal
from django.dispatch.dispatcher import NO_RECEIVERS

from signal_panel.recorder import gc_pauses, state
from signal_panel.recorder.inflight import (
    EMPTY,
    ERROR,
    NESTED,
    OWNER,
    QUERIES,
    RESULT,
    Call,
    Dispatch,
    Probe,
    raised,
)
from signal_panel.recorder.state import Sink

# The context variable's own methods, without a look-up in state per send.
_current, _set_current, _reset_current = (
    state.current,
    state.set_current,
    state.reset_current,
)
_Ref = weakref.ReferenceType
# Keys of dispatches, never reused (an id() is, once its object is freed, and
# an async receiver's call can outlive its dispatch).
_keys = itertools.count(1)


def begin(
    signal: Signal,
    method: str,
    sender: Any,
    named: dict[str, Any],
    recordings: tuple[Sink, ...] | None,
    probe: bool = False,
) -> Dispatch | None:
    """A send is starting: the Dispatch to record it into, made the current
    one, or None if none of ``recordings`` (this context's, read by the
    caller) records it (orphans are counted here). Never raises."""
    try:
        if signal is request_started and state.request_hooks:
            for hook in state.request_hooks:
                hook.started(sender, named)
            recordings = state.recordings()  # A hook opened the request's.
        if not recordings:
            return None
        signal_id, sender_id = id(signal), id(sender)
        if len(recordings) == 1:  # The usual case, without a new tuple.
            recording = recordings[0]
            if (
                recording.end is not None
                or signal_id in recording.ignored_signals
                or sender_id in recording.ignored_senders
            ):
                return None
        else:
            recordings = recording_this(recordings, signal, sender)
            if not recordings:
                return None
        # Django's own test for "no receivers", inline (every model signal
        # caches). Such a send is an orphan: counted by the recordings, and
        # Django's code returns [] as usual.
        if not signal.receivers:
            orphan = True
        elif signal.use_caching:
            try:
                orphan = signal.sender_receivers_cache.get(sender) is NO_RECEIVERS
            except TypeError:
                orphan = False  # Django's own check raises it again, for the user.
        else:
            orphan = False
        if orphan:
            for recording in recordings:
                counter = recording.orphans.get((signal_id, sender_id))
                if counter is not None and counter.sender_ref() is sender:
                    counter.count += 1
                else:
                    recording.count_orphan(signal, sender)
            return None
        # Dispatch has no __init__ (one would cost a frame): its slots are
        # set here. Calling the class is cheaper than object.__new__(Dispatch).
        dispatch = Dispatch()
        dispatch.recordings = recordings
        dispatch.signal = signal
        dispatch.method = method
        dispatch.sender = sender
        dispatch.named = named
        # id() of the signal and the sender, made once, and the dispatch's
        # key: the recordings key their groups and open dispatches by them.
        dispatch.signal_id = signal_id
        dispatch.sender_id = sender_id
        dispatch.key = next(_keys)
        # The dispatch, or the receiver's call, this one is nested in; and
        # the key of the dispatch it is nested in (a call's OWNER), by which
        # the recordings find its number.
        parent = _current()
        if parent is None:
            dispatch.parent_key = None
        elif parent.__class__ is Dispatch:
            dispatch.parent_key = parent.key
            if parent.running is not None:
                parent = parent.running
        else:
            dispatch.parent_key = parent[OWNER]
        dispatch.parent = parent
        # Probes stand in for the receivers (the fallback): end() then swaps
        # them out of the responses and lets go of everything (cyclic).
        dispatch.probe = dispatch.cyclic = probe
        dispatch.running = None
        # Set by started(), with sync_count and next_async: until then (and
        # for good if Django finds no live receiver) receivers is EMPTY.
        dispatch.receivers = dispatch.connected = EMPTY
        dispatch.calls = []
        dispatch.error = None
        dispatch.gc_start = gc_pauses.total
        dispatch.token = _set_current(dispatch)
        dispatch.start = perf_counter()
        return dispatch
    except Exception as exc:
        fail(state.active(), exc)
        return None


def recording_this(
    recordings: tuple[Sink, ...], signal: Signal, sender: Any
) -> tuple[Sink, ...]:
    """Those of ``recordings`` that are open and do not ignore this send.

    A thread or task that outlives its request (or ``record_signals()``
    block) keeps a copy of the context: its sends after the end belong to no
    recording.
    """
    return tuple(
        recording
        for recording in recordings
        if recording.end is None
        and id(signal) not in recording.ignored_signals
        and id(sender) not in recording.ignored_senders
    )


def started(
    dispatch: Dispatch,
    connected: list[Any],
    sync_receivers: list[Any],
    async_receivers: list[Any],
) -> None:
    """Django resolved these receivers; ``connected`` is its connection list
    as it was before."""
    dispatch.next_async = dispatch.sync_count = len(sync_receivers)
    try:
        dispatch.receivers = receivers = (
            [*sync_receivers, *async_receivers] if async_receivers else sync_receivers
        )
        # The connections as they were (a copy), not keeping alive a receiver
        # disconnected during the send: a strongly connected one the send does
        # not run is held weakly (weakly(), whose test this loop is, inline;
        # then only its copy, weak_copy()).
        for entry in connected:
            target = entry[1]
            if not isinstance(target, _Ref):
                for receiver in receivers:
                    if receiver is target:
                        break
                else:
                    connected = weak_copy(connected, receivers)
                    break
        dispatch.connected = connected
        for recording in dispatch.recordings:
            recording.start(dispatch)
    except Exception as exc:
        fail(dispatch.recordings, exc)


def failed(dispatch: Dispatch, call: Call, exc: BaseException) -> None:
    """The sync receiver of ``call`` raised ``exc`` (which goes on up)."""
    try:
        raised(call, exc)
        dispatch.running = None
        dispatch.cyclic = True  # The traceback holds the send's frame.
    except Exception:
        pass


def end(dispatch: Dispatch, responses: list[tuple[Any, Any]] | None = None) -> None:
    """The send returned ``responses`` or raised ``dispatch.error``: record
    it, give the user's receivers back (probes) and break reference cycles.
    Never raises."""
    # A context copied while it was current (a task a receiver made) may keep
    # the dispatch: it must not keep its parent through the token.
    token, dispatch.token = dispatch.token, None
    # Not contextlib.suppress: on every send, try costs nothing, it an object.
    try:  # noqa: SIM105
        _reset_current(token)
    except Exception:
        pass  # A context of another task.
    recordings = dispatch.recordings
    try:
        dispatch.duration = perf_counter() - dispatch.start
        dispatch.gc = gc_pauses.total - dispatch.gc_start
        if dispatch.receivers is EMPTY:
            # Django took its no-receivers fast path or found none alive.
            for recording in recordings:
                recording.count_orphan(
                    dispatch.signal, dispatch.sender, dispatch.connected
                )
        else:
            parent = dispatch.parent
            if parent is not None and parent.__class__ is list:
                _roll_up_queries(dispatch, parent)
            for recording in recordings:
                try:
                    recording.finish(dispatch)
                except Exception as exc:
                    fail((recording,), exc)
    except Exception as exc:
        fail(recordings, exc)
    finally:
        dispatch.connected = ()  # type: ignore[assignment]
        # Otherwise nothing refers back to the dispatch: it simply goes.
        if dispatch.cyclic or dispatch.error is not None:
            _release(dispatch, responses)
    if dispatch.signal is request_finished:
        _request_finished()


def _release(dispatch: Dispatch, responses: list[tuple[Any, Any]] | None) -> None:
    """Swap the user's receivers back into the responses (probes only), and
    break the dispatch <-> call and traceback cycles, so that weakly connected
    receivers die when Django's own references go, not at the next garbage
    collection. A traceback the user keeps (a ``send_robust`` error) holds
    the send's frame: it must hold nothing more."""
    recordings = dispatch.recordings
    dispatch.error = None
    try:
        if responses and dispatch.probe:
            for index, (receiver, response) in enumerate(responses):
                # type(), not isinstance(): that would read __class__ of any
                # object, and evaluate a lazy one.
                if issubclass(type(receiver), Probe):
                    responses[index] = (receiver.receiver, response)
        for call in dispatch.calls:  # A frame kept by a traceback holds one.
            call[RESULT] = call[ERROR] = None
        dispatch.calls = []
        dispatch.named = dispatch.running = dispatch.parent = None
        dispatch.recordings = ()
        dispatch.receivers = dispatch.connected = []
    except Exception as exc:
        fail(recordings, exc)


def _roll_up_queries(dispatch: Dispatch, parent: Call) -> None:
    """Add a nested dispatch's SQL (its own and deeper) to the call around it."""
    count, seconds = 0, 0.0
    for call in dispatch.calls:
        for alias_count, alias_seconds in (call[QUERIES] or {}).values():
            count += alias_count
            seconds += alias_seconds
        if call[NESTED]:
            count += call[NESTED][0]
            seconds += call[NESTED][1]
    if count:
        if parent[NESTED] is None:
            parent[NESTED] = [0, 0.0]
        parent[NESTED][0] += count
        parent[NESTED][1] += seconds


def fail(recordings: tuple[Sink, ...], exc: BaseException) -> None:
    """The recorder failed: tell the recordings, never the user."""
    for recording in recordings:
        with contextlib.suppress(Exception):  # Never a second fault for the user.
            recording.fail(exc)


def finished(signal: Signal) -> None:
    """A send nothing recorded has returned: the request_finished hooks."""
    if signal is request_finished:
        _request_finished()


def _request_finished() -> None:
    for hook in state.request_hooks:
        try:
            hook.finished()
        except Exception as exc:
            # Runs inside the user's response.close(): never raise there.
            fail(state.active(), exc)


def weakly(connected: list[Any], live: list[Any] | tuple[()] = ()) -> list[Any]:
    """Django's connection entries, holding strongly connected receivers only
    weakly: a receiver disconnected during the send must die when Django lets
    go of it, as it would without recording.

    Except those in ``live``, the receivers the send runs: Django's own list
    of them holds each until the send returns, and so does the dispatch, so
    the copy changes no lifetime by holding them too (and a strongly
    connected receiver costs no weak reference per send).
    """
    for entry in connected:
        target = entry[1]
        if not isinstance(target, _Ref):
            for receiver in live:
                if receiver is target:
                    break
            else:
                break  # Held by the connection alone: a weak copy.
    else:
        return connected  # The copy as it is.
    return weak_copy(connected, live)


def weak_copy(connected: list[Any], live: list[Any] | tuple[()] = ()) -> list[Any]:
    """``connected`` with every strongly connected receiver not in ``live``
    held weakly (see :func:`weakly`, which first tests whether one is)."""
    entries = []
    for entry in connected:
        target = entry[1]
        if not isinstance(target, _Ref) and not any(r is target for r in live):
            # One that is not weakly referenceable is kept as Django keeps it.
            with contextlib.suppress(TypeError):
                entry = (entry[0], weakref.ref(target), *entry[2:])
        entries.append(entry)
    return entries
