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
from collections.abc import Callable
from typing import Any

from signal_panel.api import Recording
from signal_panel.recorder import instrument, state
from signal_panel.recorder.state import Sink

logger = logging.getLogger("signal_panel")

HANDLE_KEY = "signal_panel.recording"
# Recordings kept alive until the threads that outlived them end
# (after_threads): a bound, for a project that starts a long-lived thread in
# every request.
AWAITING: set[Recording] = set()
AWAITING_CAP = 1000


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


def after_threads(recording: Recording, callback: Callable[[Recording], None]) -> bool:
    """Call ``callback(recording)`` once the threads started in it that still
    run are done, keeping it alive until then (the threads hold it weakly);
    False if none runs, or too many recordings wait already."""
    if len(AWAITING) >= AWAITING_CAP:
        return False

    def done(finished: Recording) -> None:
        AWAITING.discard(finished)
        try:
            callback(finished)
        except Exception:
            logger.warning("signal_panel could not save a thread's end", exc_info=True)

    AWAITING.add(recording)
    if recording.when_threads_done(done):
        return True
    AWAITING.discard(recording)
    return False


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
