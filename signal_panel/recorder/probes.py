"""The fallback: Django's own send methods, with a probe standing in for each receiver.

Used when a method cannot be compiled with the recorder in it (see
``instrument``): Django's method runs as it is, and ``_live_receivers``
hands it, for each live receiver, a probe that times the receiver's call.
The responses get the user's receivers back (``dispatch.end``). A probe is
one frame between Django's send and the receiver (docs/compatibility.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.core.signals import request_started
from django.dispatch import Signal

from signal_panel.recorder import state
from signal_panel.recorder.dispatch import begin, end, fail, finished, started
from signal_panel.recorder.inflight import (
    EMPTY,
    START,
    Dispatch,
    Probe,
    raised,
    returned,
)


class SyncProbe(Probe):
    """Django calls it in a sync receiver's place."""

    __slots__ = ()

    def __call__(self, **kwargs: Any) -> Any:
        call = self.call
        self.dispatch.calls.append(call)  # type: ignore[union-attr]
        token = state.set_current(call)
        call[START] = perf_counter()
        try:
            result = self.receiver(**kwargs)
        except BaseException as exc:
            raised(call, exc)
            raise
        finally:
            state.reset_current(token)
        returned(call, result)
        return result


class AsyncProbe(Probe):
    """Django calls it in an async receiver's place: its coroutine times it."""

    __slots__ = ()

    async def __call__(self, **kwargs: Any) -> Any:
        call = self.call
        self.dispatch.calls.append(call)  # type: ignore[union-attr]
        token = state.set_current(call)
        call[START] = perf_counter()
        try:
            result = await self.receiver(**kwargs)
        except BaseException as exc:
            raised(call, exc)
            raise
        finally:
            state.reset_current(token)
        returned(call, result)
        return result


def record_sync(
    original: Callable[..., Any],
    method: str,
    signal: Signal,
    sender: Any,
    named: dict[str, Any],
) -> Any:
    """Django's own send method ``original``, recorded through probes."""
    dispatch = begin(signal, method, sender, named, state.recordings(), probe=True)
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
        dispatch = None
        raise
    end(dispatch, responses)
    return responses


async def record_async(
    original: Callable[..., Any],
    method: str,
    signal: Signal,
    sender: Any,
    named: dict[str, Any],
) -> Any:
    """Django's own async send method ``original``, recorded through probes."""
    dispatch = begin(signal, method, sender, named, state.recordings(), probe=True)
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
        dispatch = None
        raise
    end(dispatch, responses)
    return responses


def wrapper(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """A plain wrapper of Django's send method ``name``: gated, recording
    through probes."""
    if name.startswith("a"):

        async def send_async(self: Signal, sender: Any, **named: Any) -> Any:
            if state.recordings() is None and self is not request_started:
                return await original(self, sender, **named)
            return await record_async(original, name, self, sender, named)

        return functools.wraps(original)(send_async)

    def send(self: Signal, sender: Any, **named: Any) -> Any:
        if state.recordings() is None and self is not request_started:
            return original(self, sender, **named)
        return record_sync(original, name, self, sender, named)

    return functools.wraps(original)(send)


def probing() -> bool:
    """Whether the current send is recorded through probes and has not yet
    resolved its receivers."""
    dispatch = state.current()
    return (
        dispatch is not None
        and dispatch.__class__ is Dispatch
        and dispatch.probe
        and dispatch.receivers is EMPTY
    )


def probe_receivers(
    original: Callable[..., Any], signal: Signal, sender: Any
) -> tuple[list[Any], list[Any]]:
    """Django's live receivers, a probe in place of each."""
    dispatch: Dispatch = state.current()
    if dispatch.signal is not signal:
        return original(signal, sender)  # type: ignore[no-any-return]
    # As it is now: connect() and disconnect() change Django's list in place.
    connected = signal.receivers[:]
    sync_receivers, async_receivers = original(signal, sender)
    if not sync_receivers and not async_receivers:
        dispatch.connected = connected  # An orphan: counted when it ends.
        return sync_receivers, async_receivers
    try:
        started(dispatch, connected, sync_receivers, async_receivers)
        first_async = len(sync_receivers)
        return (
            [SyncProbe(dispatch, r, i) for i, r in enumerate(sync_receivers)],
            [
                AsyncProbe(dispatch, r, first_async + i)
                for i, r in enumerate(async_receivers)
            ],
        )
    except Exception as exc:
        fail(dispatch.recordings, exc)
        return sync_receivers, async_receivers


def live_receivers_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    """A plain wrapper of Django's ``_live_receivers``: probes while probing."""

    def _live_receivers(self: Signal, sender: Any) -> tuple[list[Any], list[Any]]:
        if not probing():
            return original(self, sender)  # type: ignore[no-any-return]
        return probe_receivers(original, self, sender)

    return functools.wraps(original)(_live_receivers)
