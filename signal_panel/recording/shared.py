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
    "count_orphan_in_thread",
    "start_in_thread",
    "finish_in_thread",
    "thread_pending",
    "thread_done",
    "when_threads_done",
    "close",
)
# share() of two threads at once must not make two locks.
_sharing = threading.Lock()


class SharedRecording:
    """The part of a recording that threads started inside it use."""

    _open: dict[int, tuple[Any, Any, int, int | None]]
    end: float | None
    start: Callable[[Any], None]
    finish: Callable[[Any], None]
    count_orphan: Callable[..., None]

    def __init__(self) -> None:
        # The names of the threads of its open dispatches sent there, by key;
        # the threads (and pool work items) started inside it and not done
        # yet, queued or running; how many when it ended; sends after it
        # ended; the lock, once a thread shares it.
        self.threaded: dict[int, str] = {}
        self.threads_open = 0
        self.threads_at_end = 0
        self.after_end = 0
        # Called once the threads still open when it ended are done.
        self.threads_done_callbacks: list[Callable[[Any], None]] = []
        self._lock: threading.RLock | None = None

    def share(self) -> None:
        """From now on, threads may feed this recording at the same time."""
        if self._lock is None:  # Once shared, no lock to take here.
            with _sharing:
                if not self.shared:  # Another thread may have shared it.
                    self._share()

    @property
    def shared(self) -> bool:
        return self._lock is not None

    def _share(self) -> None:
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

    def count_orphan_in_thread(
        self, signal: Any, sender: Any, connected: list[Any] | None = None
    ) -> None:
        """:meth:`count_orphan` for a send in a thread, or a send after the end."""
        if self.end is not None:
            self.after_end += 1
        else:
            self.count_orphan(signal, sender, connected)

    def start_in_thread(
        self, dispatch: Any, thread: str, origin: tuple[int, int] | None
    ) -> bool:
        """:meth:`start` for a send in the thread named ``thread``; ``origin``:
        the key and number of the dispatch it was started in, its parent
        even once ended (a thread nobody waits for). False, and counted, if
        the recording has ended (tested under the lock: it may end while the
        thread sends)."""
        if self.end is not None:
            self.after_end += 1
            return False
        self.threaded[dispatch.key] = thread
        self.start(dispatch)
        entry = self._open.get(dispatch.key)
        if entry and origin and entry[3] is None and dispatch.parent_key == origin[0]:
            group, record, number, _ = entry
            self._open[dispatch.key] = (group, record, number, origin[1])
            if record is not None:
                record.parent_id = origin[1]
        return True

    def finish_in_thread(self, dispatch: Any) -> None:
        self.finish(dispatch)
        self.threaded.pop(dispatch.key, None)

    def thread_pending(self) -> None:
        """A thread (or a pool's work item) was started inside it: counted
        from the starting thread, before it runs."""
        self.threads_open += 1

    def thread_done(self) -> list[Callable[[Any], None]]:
        """A thread started inside it is done, or never ran (its start
        failed, its work item was cancelled). The callbacks to call now, with
        the recording, outside the lock: those waiting for the threads still
        open when it ended, once the last is done."""
        self.threads_open -= 1
        if self.end is None or self.threads_open > 0:
            return []
        callbacks, self.threads_done_callbacks = self.threads_done_callbacks, []
        return callbacks

    def when_threads_done(self, callback: Callable[[Any], None]) -> bool:
        """Call ``callback(recording)`` once the threads started inside it
        and not done yet are done, in the last of them to end (after its
        ``run()`` returned, before ``join()`` returns: keep it short); False,
        and nothing will be called, if none is open now."""
        if self.threads_open <= 0:
            return False
        self.threads_done_callbacks.append(callback)
        return True


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
