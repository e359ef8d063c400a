"""A recording fed from threads started inside it (``recorder.threads``).

Until a thread is started inside a recording, one thread at a time feeds
it (its own, or the ``sync_to_async`` hops of its context) and its feeding
methods take no lock. :meth:`SharedRecording.share` is called in the
starting thread, before the new thread runs: from then on the feeding
methods hold one re-entrant lock, so that sends made at the same time in
several threads are each counted once and numbered apart, and a reader
(``reading()``: the stats being built while a thread still runs) sees no
half-made change.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

# The methods through which the recorder (directly or through a thread's
# ``InThread``) changes a recording.
FEEDING = (
    "count_orphan",
    "start",
    "finish",
    "fail",
    "start_in_thread",
    "finish_in_thread",
    "thread_started",
    "thread_done",
    "count_after_end",
    "close",
)


class SharedRecording:
    """The part of a recording that threads started inside it use."""

    _open: dict[int, tuple[Any, Any, int, int | None]]
    end: float | None
    start: Callable[[Any], None]
    finish: Callable[[Any], None]

    def __init__(self) -> None:
        # The names of the threads of its open dispatches sent there, by key;
        # the threads running now (idents), how many when it ended; sends
        # after it ended; the lock, once a thread shares it.
        self.threaded: dict[int, str] = {}
        self.threads_running: set[int] = set()
        self.threads_at_end = 0
        self.after_end = 0
        # Called once the threads still running when it ended are done.
        self.threads_done_callbacks: list[Callable[[Any], None]] = []
        self._lock: threading.RLock | None = None

    def share(self) -> None:
        """From now on, threads may feed this recording at the same time."""
        if self._lock is not None:
            return
        lock = self._lock = threading.RLock()
        orphans = vars(self)["orphans"]
        self.__dict__["orphans"] = SharedCounters(orphans)
        for name in FEEDING:
            # An instance attribute: the class's methods stay lock-free for
            # every recording no thread shares.
            setattr(self, name, _locked(getattr(self, name), lock))

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold off the threads feeding it while it is read (a no-op until
        a thread shares it)."""
        lock = self._lock
        if lock is None:
            yield
            return
        with lock:
            yield

    def number_of(self, key: int) -> int | None:
        """The number of the open dispatch ``key``, if this records it."""
        entry = self._open.get(key)
        return None if entry is None else entry[2]

    def start_in_thread(
        self, dispatch: Any, thread: str, origin: tuple[int, int] | None
    ) -> None:
        """:meth:`start` for a send in the thread named ``thread``; ``origin``:
        the key and number of the dispatch it was started in, its parent
        even once ended (a thread nobody waits for)."""
        self.threaded[dispatch.key] = thread
        self.start(dispatch)
        entry = self._open.get(dispatch.key)
        if entry and origin and entry[3] is None and dispatch.parent_key == origin[0]:
            group, record, number, _ = entry
            self._open[dispatch.key] = (group, record, number, origin[1])
            if record is not None:
                record.parent_id = origin[1]

    def finish_in_thread(self, dispatch: Any) -> None:
        self.finish(dispatch)
        self.threaded.pop(dispatch.key, None)

    def thread_started(self) -> None:
        self.threads_running.add(threading.get_ident())

    def thread_done(self) -> bool:
        """A thread started inside it is done; True if it was the last of
        those still running when it ended, and someone waits for them
        (then call :meth:`run_threads_done`, outside the lock)."""
        self.threads_running.discard(threading.get_ident())
        return (
            self.end is not None
            and not self.threads_running
            and bool(self.threads_done_callbacks)
        )

    def when_threads_done(self, callback: Callable[[Any], None]) -> bool:
        """Call ``callback(recording)`` once the threads started inside it
        that still run are done (in the last of them to end); False, and
        nothing will be called, if none runs now. It runs once that thread's
        ``run()`` has returned: ``threading.current_thread()`` is then a
        dummy there, and ``join()`` waits for it."""
        with self.reading():
            if not self.threads_running:
                return False
            self.threads_done_callbacks.append(callback)
            return True

    def run_threads_done(self) -> None:
        callbacks, self.threads_done_callbacks = self.threads_done_callbacks, []
        for callback in callbacks:
            callback(self)

    def count_after_end(self) -> None:
        """A thread started inside it sent a signal after it ended."""
        self.after_end += 1


class SharedCounters(dict[Any, Any]):
    """A shared recording's orphan counters: the hot path's own count
    (``orphans.get(key).count += 1``, unlocked) always misses, so that every
    count goes through the locked ``count_orphan``, which reads them with
    ``dict.get``."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default


def _locked(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return locked
