"""Follow a recording into the threads started inside it.

A new thread starts with an empty context, so without this the sends of a
thread a receiver starts (the tutorials' "send the mail in a thread") would
be missing from the recording, and nothing would say so. :func:`install`
replaces ``threading.Thread.start`` and ``ThreadPoolExecutor.submit``: while
something records (otherwise they cost one context-variable read), the
thread (from above its ``_bootstrap_inner``, which calls ``run()``: no frame
of ours between the user's code and the thread's own), or the work item,
runs with the recorder's own two context variables set (``state.enter``) and
nothing else of the starting context: the open recordings, each seen through
an :class:`InThread`, and a stand-in for the receiver's call that started
it, the parent of its sends. The user's own context variables stay as Python
gives a new thread them.

Sends in the thread are recorded with the thread's name. A thread that
outlives its recording does not add to it: the recording counts its later
sends (``after_end``), and how many of its threads still ran when it ended.
"""

from __future__ import annotations

import asyncio.base_events
import contextlib
import contextvars
import functools
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, cast

from asgiref.sync import AsyncToSync

from signal_panel.conf import get_config
from signal_panel.describe import callable_name
from signal_panel.recorder import state
from signal_panel.recorder.inflight import OWNER, RECEIVER, Call, Dispatch, new_call
from signal_panel.recorder.state import Sink

_lock = threading.Lock()
_originals: dict[str, Any] = {}
# Set on a thread while ThreadPoolExecutor.submit() runs: the pool's own
# worker threads, long-lived, started once, are never armed.
_submitting = threading.local()
# Callers of submit() that carry the context themselves, to run the
# request's own work: asyncio's run_in_executor (asyncio.to_thread, asgiref's
# sync_to_async) and asgiref's async_to_sync (Django's async receivers under
# send()).
_CARRY_THEMSELVES = frozenset(
    (
        asyncio.base_events.BaseEventLoop.run_in_executor.__code__,
        AsyncToSync.__call__.__code__,
    )
)
# What an InThread's ``end`` says once its recording is gone: the hot path
# then drops the thread's sends at once.
GONE = 0.0
# What Thread._bootstrap calls, and what calls run(): set on a thread armed.
BOOTSTRAP = "_bootstrap_inner"
_NO_ORPHANS: dict[Any, Any] = {}


class Threaded(Sink, Protocol):
    """What a recording offers threads (``recording.base.BaseRecording``)."""

    def number_of(self, key: int) -> int | None: ...

    def thread_pending(self) -> None: ...

    def thread_done(self) -> list[Callable[[Any], None]]: ...

    def count_orphan_in_thread(
        self, signal: Any, sender: Any, connected: list[Any] | None = None
    ) -> None: ...

    def start_in_thread(
        self, dispatch: Any, thread: str, origin: tuple[int, int] | None
    ) -> bool: ...

    def finish_in_thread(self, dispatch: Any) -> None: ...

    def share(self) -> None: ...


class InThread:
    """A recording as a thread started inside it sees it (a ``state.Sink``).

    Holds the recording weakly: a thread that outlives it (a long-lived one
    started during a request) never keeps it alive.
    """

    __slots__ = (
        "_late",
        "_ref",
        "ignored_senders",
        "ignored_signals",
        "origin",
        "thread",
    )

    def __init__(self, recording: Threaded, origin_key: int | None) -> None:
        self._ref = weakref.ref(recording)
        self.ignored_signals = recording.ignored_signals
        self.ignored_senders = recording.ignored_senders
        # The key and number of the dispatch the thread was started in.
        number = None if origin_key is None else recording.number_of(origin_key)
        self.origin = None if number is None else (cast(int, origin_key), number)
        self.thread = ""  # Its name, once it runs.
        # Keys of dispatches sent after the recording ended (not recorded).
        self._late: set[int] = set()

    @property
    def recording(self) -> Threaded | None:
        return self._ref()

    @property
    def end(self) -> float | None:
        """None while the recording lives: its ``start()`` tells a send
        after the end, and counts it."""
        return None if self._ref() is not None else GONE

    @property
    def orphans(self) -> dict[Any, Any]:
        recording = self._ref()
        if recording is None or recording.end is not None:
            return _NO_ORPHANS  # count_orphan() then counts the send.
        return recording.orphans

    def count_orphan(
        self, signal: Any, sender: Any, connected: list[Any] | None = None
    ) -> None:
        recording = self._ref()
        if recording is not None:
            recording.count_orphan_in_thread(signal, sender, connected)

    def start(self, dispatch: Any) -> None:
        recording = self._ref()
        if recording is None or not recording.start_in_thread(
            dispatch, self.thread, self.origin
        ):
            self._late.add(dispatch.key)

    def finish(self, dispatch: Any) -> None:
        if dispatch.key in self._late:
            self._late.discard(dispatch.key)
            return
        recording = self._ref()
        if recording is not None:
            recording.finish_in_thread(dispatch)

    def fail(self, exc: BaseException) -> None:
        recording = self._ref()
        if recording is not None:
            recording.fail(exc)


class Carried:
    """A thread's bootstrap (or a work item) run with the recorder's state.

    Calls ``fn`` exactly as it would be called, and returns or raises what
    it does; the state is set around it and reset after.
    """

    __slots__ = ("context", "fn", "parent", "ran", "sinks", "thread")

    def __init__(
        self,
        fn: Any,
        sinks: tuple[Sink, ...],
        parent: Call | None,
        thread: threading.Thread | None,
    ) -> None:
        self.fn = fn
        self.sinks = sinks
        self.parent = parent
        # The thread whose own ``_bootstrap_inner`` it is, until it returns
        # (before the thread counts as ended: join() returns after).
        self.thread = thread
        # Where run() runs: the thread's own Context on Python 3.14+
        # (Thread(context=...)), else the thread's base context (None).
        self.context: contextvars.Context | None = None
        self.ran = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tokens = None
        self.ran = True
        try:
            # Not current_thread(): before _bootstrap_inner, it makes a dummy.
            thread = self.thread or threading.current_thread()
            name = thread.name
            for sink in self.sinks:
                if isinstance(sink, InThread):
                    sink.thread = name
            self.context = getattr(thread, "_context", None) if self.thread else None
            if self.context is not None:
                tokens = self.context.run(state.enter, self.sinks, self.parent)
            else:
                tokens = state.enter(self.sinks, self.parent)
        except Exception:
            pass
        fn, self.fn = self.fn, None  # Held no longer than Python holds it.
        try:
            return fn(*args, **kwargs)
        finally:
            self._done(tokens)

    def _done(self, tokens: Any) -> None:
        with contextlib.suppress(Exception):
            if tokens is not None and self.context is not None:
                self.context.run(state.leave, tokens)
            elif tokens is not None:
                state.leave(tokens)
            self._threads_done()
            thread = self.thread
            if thread is not None and vars(thread).get(BOOTSTRAP) is self:
                delattr(thread, BOOTSTRAP)
        self.sinks, self.parent, self.thread, self.context = (), None, None, None

    def abandon(self) -> None:
        """It will never run (the thread did not start, the work item was
        cancelled): the recordings stop waiting for it."""
        if not self.ran:
            self.ran = True
            with contextlib.suppress(Exception):
                self._threads_done()
            self.fn, self.sinks, self.parent, self.thread = None, (), None, None

    def cancelled(self, future: Future[Any]) -> None:
        """A done callback of its work item's future."""
        if future.cancelled():
            self.abandon()

    def _threads_done(self) -> None:
        for sink in self.sinks:
            if isinstance(sink, InThread):
                recording = sink.recording
                if recording is not None:
                    for callback in recording.thread_done():
                        callback(recording)


def carry(fn: Any, thread: threading.Thread | None = None) -> Carried | None:
    """``fn`` carrying this context's recorder state into another thread, or
    None (the opt-out, or nothing to carry). Never raises."""
    try:
        recordings = state.recordings()
        if not recordings or not get_config().threads:
            return None
        parent = _stand_in(state.current())
        key = None if parent is None else parent[OWNER]
        sinks = tuple(_through(sink, key) for sink in recordings)
        return Carried(fn, sinks, parent, thread)
    except Exception:
        return None


def _through(sink: Sink, key: int | None) -> Sink:
    """``sink`` as the new thread sees it."""
    if isinstance(sink, InThread):  # A thread started in a thread.
        recording = sink.recording
        if recording is None:
            return sink
        sink = recording
    if not hasattr(sink, "start_in_thread"):
        return sink  # Not a recording that follows threads: as it is.
    recording = cast(Threaded, sink)
    recording.share()  # Before the thread runs: it may feed it at once.
    recording.thread_pending()
    return cast(Sink, InThread(recording, key))


def _stand_in(current: Any) -> Call | None:
    """A call like the receiver's that runs now, the parent of the thread's
    sends, holding only its name (never the receiver, nor its dispatch)."""
    if current is None:
        return None
    if current.__class__ is Dispatch:
        key, call = current.key, current.running
        if call is None:  # Between receivers: Django's own code.
            return None
    else:  # An async receiver's call.
        key, call = current[OWNER], current
    name = callable_name(call[RECEIVER])

    def receiver() -> None: ...

    # callable_name() of the stand-in gives the name back, as it is.
    receiver.__module__ = None  # type: ignore[assignment]
    receiver.__qualname__ = name
    return new_call(receiver, None, key)


def _start(thread: threading.Thread) -> None:
    """``Thread.start``: the thread carries the recording."""
    if state.recordings() is None:
        return cast(None, _originals["start"](thread))
    carried: Carried | None = None
    if not getattr(_submitting, "on", False):
        carried = carry(getattr(thread, BOOTSTRAP), thread)
        if carried is not None:
            setattr(thread, BOOTSTRAP, carried)
    try:
        return cast(None, _originals["start"](thread))
    except BaseException:
        if carried is not None and vars(thread).get(BOOTSTRAP) is carried:
            delattr(thread, BOOTSTRAP)
        if carried is not None:
            carried.abandon()
        raise


def _submit(executor: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``ThreadPoolExecutor.submit``: the work item carries the recording."""
    if state.recordings() is None:
        return _originals["submit"](executor, fn, *args, **kwargs)
    carried = None
    if sys._getframe(1).f_code not in _CARRY_THEMSELVES and not _isolated(
        type(executor)
    ):
        carried = carry(fn)
    before = getattr(_submitting, "on", False)
    _submitting.on = True
    try:
        future = _originals["submit"](executor, carried or fn, *args, **kwargs)
    except BaseException:
        if carried is not None:
            carried.abandon()
        raise
    finally:
        _submitting.on = before
    if carried is not None:
        future.add_done_callback(carried.cancelled)
    return future


def _isolated(executor: type) -> bool:
    """An executor whose work runs in another interpreter (3.14's
    InterpreterPoolExecutor, which pickles it): nothing to carry there."""
    found = _ISOLATED.get(executor)
    if found is None:
        found = _ISOLATED[executor] = any(
            cls.__name__ == "InterpreterPoolExecutor" for cls in executor.__mro__
        )
    return found


_ISOLATED: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def install() -> None:
    """Follow recordings into threads (unless ``SIGNAL_PANEL["THREADS"]`` is
    False). Idempotent and thread-safe."""
    with _lock:
        if _originals or not get_config().threads:
            return
        _originals["start"] = threading.Thread.start
        _originals["submit"] = ThreadPoolExecutor.submit
        start = functools.wraps(_originals["start"])(_start)
        submit = functools.wraps(_originals["submit"])(_submit)
        threading.Thread.start = start  # type: ignore[method-assign,assignment]
        ThreadPoolExecutor.submit = submit  # type: ignore[method-assign,assignment]


def start_unfollowed(thread: threading.Thread) -> None:
    """Start ``thread`` as Python would, carrying no recording into it (the
    recorder's own threads)."""
    (_originals.get("start") or threading.Thread.start)(thread)


def is_installed() -> bool:
    return bool(_originals)
