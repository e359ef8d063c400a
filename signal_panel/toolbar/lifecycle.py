"""Tie a recording to each request, from ``request_started`` to ``request_finished``.

Django sends ``request_started`` before any middleware runs and
``request_finished`` from ``HttpResponse.close()`` after the toolbar has
rendered, so the toolbar's middleware sees neither. The hot path calls
:func:`open_for_request` just before ``request_started`` is dispatched: it opens a
:class:`RequestRecording` in the current context and leaves it in the WSGI
``environ`` / ASGI ``scope``, the one dict the handler, the request and the
toolbar share. :func:`close_for_request` runs just after ``request_finished`` was
dispatched: it closes the recording and runs the callbacks that the panel left
on it (saving the final stats to the toolbar's store).

A request that no panel adopts (no toolbar for it, or one of the toolbar's own
``/__debug__/`` requests) is recorded and then dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from signal_panel.api import Recording
from signal_panel.recorder import instrument, state, threads
from signal_panel.recorder.state import Sink

logger = logging.getLogger("signal_panel")

HANDLE_KEY = "signal_panel.recording"
# Recordings whose threads outlived them, oldest first, each with what to
# call once those are done (after_threads); the lock that also orders a
# registration before its call.
AWAITING: dict[Recording, Callable[[Recording], object]] = {}
_awaiting_lock = threading.Lock()
# Recordings whose threads are done, handed from the last thread to end to
# one thread of ours (the store writes never lengthen a user's thread).
_done: queue.SimpleQueue[Recording] = queue.SimpleQueue()
_worker: list[threading.Thread] = []
# How many handed over and not yet called back (wait_for_late_stores).
_pending = [0]
_settled = threading.Condition()


class RequestRecording(Recording):
    """The recording of one request; the panel adopts it with ``on_finish``."""

    def __init__(self) -> None:
        super().__init__(instrumentation=instrument.instrumentation())
        self.finish_callbacks: list[Callable[[RequestRecording], None]] = []

    def on_finish(self, callback: Callable[[RequestRecording], None]) -> None:
        self.finish_callbacks.append(callback)


def open_for_request(sender: Any, named: dict[str, Any]) -> None:
    handle = named.get("environ", named.get("scope"))
    if not isinstance(handle, dict):
        return
    outer = _without_requests(state.active())
    recording = RequestRecording()
    handle[HANDLE_KEY] = recording
    state.replace((*outer, recording))


def close_for_request() -> None:
    current = state.active()
    requests = [r for r in current if isinstance(r, RequestRecording)]
    if not requests:
        return
    state.replace(_without_requests(current))
    for recording in requests:
        try:
            recording.close()
        except Exception as exc:
            recording.fail(exc)  # Still saved below, marked incomplete.
        for callback in recording.finish_callbacks:
            try:
                callback(recording)
            except Exception:
                logger.warning(
                    "signal_panel could not save request_finished", exc_info=True
                )


def after_threads(
    recording: Recording, callback: Callable[[Recording], object], limit: int
) -> bool:
    """Call ``callback(recording)``, in a thread of ours, once the threads
    started in it that are not done yet are done, keeping it alive until
    then (they hold it weakly). At most ``limit`` recordings wait: past it,
    the oldest is let go (its request has most likely left the toolbar's
    store). False if no thread of it is open."""
    if limit <= 0:
        return False
    with _awaiting_lock:
        if not recording.when_threads_done(_hand_over):
            return False
        AWAITING[recording] = callback
        while len(AWAITING) > limit:
            del AWAITING[next(iter(AWAITING))]
        if not (_worker and _worker[0].is_alive()):  # Also after a fork.
            worker = threading.Thread(
                target=_call_done, name="signal_panel-late-stores", daemon=True
            )
            threads.start_unfollowed(worker)
            _worker[:] = [worker]
    return True


def _hand_over(recording: Recording) -> None:
    """In the last of its threads to end: only a hand-over."""
    with _settled:
        _pending[0] += 1
    _done.put(recording)


def wait_for_late_stores(timeout: float) -> bool:
    """Wait until what was handed over so far has been called back (the
    panel's stores after threads that outlived their requests); False if
    ``timeout`` seconds passed first."""
    with _settled:
        return _settled.wait_for(lambda: _pending[0] == 0, timeout)


def _call_done() -> None:
    while True:
        recording = _done.get()
        with _awaiting_lock:
            callback = AWAITING.pop(recording, None)
        try:
            if callback is not None:  # Else let go past the limit.
                callback(recording)
        except Exception:
            logger.warning("signal_panel could not save a thread's end", exc_info=True)
        finally:
            del recording, callback
            with _settled:
                _pending[0] -= 1
                _settled.notify_all()


def _without_requests(recordings: tuple[Sink, ...]) -> tuple[Sink, ...]:
    # A recording left over on this thread (its request never finished, e.g. a
    # keep-alive connection that was dropped) must not swallow the next one.
    return tuple(r for r in recordings if not isinstance(r, RequestRecording))


def recording_for(request: Any) -> RequestRecording | None:
    """The recording ``request_started`` opened for this request, if any."""
    handle = getattr(request, "scope", None)
    if not isinstance(handle, dict):
        handle = getattr(request, "META", None)
    if not isinstance(handle, dict):
        return None
    recording = handle.get(HANDLE_KEY)
    return recording if isinstance(recording, RequestRecording) else None


class _Hook:
    started = staticmethod(open_for_request)
    finished = staticmethod(close_for_request)


def install() -> None:
    """Record every request of this process. Idempotent."""
    instrument.install()
    if not state.request_hooks:
        state.request_hooks.append(_Hook)
