"""The recording state of a context: which recordings are open, which call runs.

Two context variables, so that each thread, asyncio task and
``sync_to_async``/``async_to_sync`` hop sees the recordings of the request
(or ``record_signals()`` block) it belongs to. Only the functions here write
them: ``push``/``pop`` for a ``with`` block, ``replace`` for a request's
recording (opened and closed by ``toolbar.lifecycle``), ``set_current`` and
``reset_current`` for the hot path, ``enter``/``leave`` around a thread's run
(``threads``: a new thread starts with an empty context).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, Protocol


class Sink(Protocol):
    """What the hot path needs of a recording (``recording.base.BaseRecording``)."""

    end: float | None
    ignored_signals: frozenset[int]
    ignored_senders: frozenset[int]
    # (id(signal), id(sender)): the counter of its orphan sends, whose
    # ``sender_ref()`` tells a live sender from one that reused a freed id.
    orphans: dict[tuple[Any, Any], Any]

    def count_orphan(
        self, signal: Any, sender: Any, connected: list[Any] | None = None
    ) -> None: ...

    def start(self, dispatch: Any) -> None: ...

    def finish(self, dispatch: Any) -> None: ...

    def fail(self, exc: BaseException) -> None: ...


class RequestHook(Protocol):
    """Called around ``request_started`` and ``request_finished`` (lifecycle)."""

    def started(self, sender: Any, named: dict[str, Any]) -> None: ...

    def finished(self) -> None: ...


_recordings: ContextVar[tuple[Sink, ...] | None] = ContextVar(
    "signal_panel_recordings", default=None
)
# The innermost dispatch (while Django resolves its receivers and runs the
# sync ones) or async receiver's call of this context: the parent of nested
# sends and the owner of SQL queries.
_current: ContextVar[Any] = ContextVar("signal_panel_current", default=None)

# The gate of every send: None unless something records in this context.
recordings: Callable[[], tuple[Sink, ...] | None] = _recordings.get
current: Callable[[], Any] = _current.get
set_current = _current.set
reset_current = _current.reset

# Set by lifecycle.install(): run around request_started and request_finished.
request_hooks: list[RequestHook] = []


def active() -> tuple[Sink, ...]:
    """The recordings of this context, outermost first."""
    return _recordings.get() or ()


def push(recording: Sink) -> Token[tuple[Sink, ...] | None]:
    """Record this context into ``recording`` too, until :func:`pop`."""
    return _recordings.set((*active(), recording))


def pop(token: Token[tuple[Sink, ...] | None]) -> None:
    """Undo the :func:`push` that returned ``token``."""
    _recordings.reset(token)


def replace(recordings: tuple[Sink, ...]) -> None:
    """Make ``recordings`` this context's (a request's, opened and closed in
    receivers of the request signals, where no token can be kept)."""
    _recordings.set(recordings or None)


def enter(
    recordings: tuple[Sink, ...], current: Any
) -> tuple[Token[tuple[Sink, ...] | None], Token[Any]]:
    """Make ``recordings`` and the ``current`` call this context's, until
    :func:`leave` (a thread started inside a recording, see ``threads``)."""
    return _recordings.set(recordings), _current.set(current)


def leave(tokens: tuple[Token[tuple[Sink, ...] | None], Token[Any]]) -> None:
    """Undo the :func:`enter` that returned ``tokens``."""
    recordings, current = tokens
    _current.reset(current)
    _recordings.reset(recordings)
