"""The records of a recording: plain, JSON-ready data, never the user's objects.

What a :class:`~signal_panel.recording.base.Recording` keeps of each dispatch
(:class:`DispatchRecord`, its receivers' :class:`CallRecord`), of repeated
dispatches (:class:`Group`) and of sends that found no receivers
(:class:`Orphan`); and the descriptions made when a dispatch is kept in
detail: the receivers not called and why, errors, the call site.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.dispatch import Signal
from django.dispatch.dispatcher import NONE_ID, _make_id

from signal_panel.describe import (
    Describer,
    callable_name,
    exception_message,
    qualified_name,
    sender_for,
)
from signal_panel.recorder.inflight import RECEIVER, Dispatch
from signal_panel.sources.signal_names import signal_name

MANY = -1


MANY_SENDERS = "(many senders)"


# Keyword arguments of model signals shown as first-class fields.
MODEL_CONTEXT = frozenset(
    ("created", "raw", "update_fields", "using", "action", "pk_set", "reverse", "model")
)


TRACEBACK_FRAMES = 8
GARBAGE_COLLECTED = "(garbage-collected)"
DEAD_WEAK = "dead weak reference"


class CallRecord:
    """One receiver's run: its name, timing, and result or error."""

    __slots__ = (
        "duration",
        "error",
        "is_async",
        "name",
        "nested_queries",
        "queries",
        "result",
        "start",
        "task_queries",
    )

    def __init__(
        self,
        name: str,
        is_async: bool,
        start: float,
        duration: float,
        result: str | None,
        error: dict[str, Any] | None,
        queries: dict[str, list[Any]] | None,
        nested_queries: list[Any] | None = None,
        task_queries: list[list[Any]] | None = None,
    ) -> None:
        self.name = name
        self.is_async = is_async
        self.start = start
        self.duration = duration
        self.result = result
        self.error = error
        # {alias: [count, seconds]} of the receiver's own SQL.
        self.queries = queries or {}
        # [count, seconds] of SQL run by dispatches nested inside this receiver.
        self.nested_queries = nested_queries or [0, 0.0]
        # [[task, count, seconds], ...]: SQL of the tasks an immediate backend
        # ran inline inside it (``inline_tasks``), in neither of the above.
        self.task_queries = task_queries or []

    @property
    def query_count(self) -> int:
        return sum(count for count, _ in self.queries.values())

    def __repr__(self) -> str:
        return f"<CallRecord {self.name}>"


class DispatchRecord:
    """A dispatch kept in detail."""

    __slots__ = (
        "call_site",
        "calls",
        "connected",
        "duration",
        "error",
        "gc",
        "group",
        "id",
        "kwargs",
        "method",
        "model_context",
        "not_called",
        "parent_id",
        "parent_receiver",
        "sender",
        "signal",
        "signal_name",
        "start",
        "thread",
    )

    def __init__(
        self,
        dispatch: Dispatch,
        group: Group,
        kwargs: list[list[str]],
        number: int,
        parent_number: int | None,
    ) -> None:
        # Its number in its recording (1, 2, ... in the order dispatches
        # started), and that of the dispatch it was sent from, if recorded.
        self.id = number
        self.parent_id = parent_number
        # The receiver whose run sent this dispatch, if any.
        parent = dispatch.parent
        self.parent_receiver = (
            callable_name(parent[RECEIVER]) if parent.__class__ is list else None
        )
        self.signal = dispatch.signal
        self.signal_name = group.signal_name
        self.method = dispatch.method
        self.sender = group.sender
        self.kwargs = kwargs
        self.model_context = [pair for pair in kwargs if pair[0] in MODEL_CONTEXT]
        self.call_site: list[Any] | None = None
        # The signal's connections before its receivers ran (until complete).
        self.connected: list[Any] | None = None
        self.start = dispatch.start
        self.duration = 0.0
        # Seconds of garbage collection while it ran.
        self.gc = 0.0
        self.calls: list[CallRecord] = []
        self.not_called: list[dict[str, str]] = []
        self.error: dict[str, Any] | None = None
        self.group = group
        # The name of the thread it was sent in, if a thread started inside
        # the recording (``recorder.threads``).
        self.thread: str | None = None

    @property
    def receivers(self) -> list[str]:
        return [call.name for call in self.calls]

    def kwarg(self, name: str) -> str | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None

    def __repr__(self) -> str:
        return f"<DispatchRecord #{self.id} {self.signal_name} {self.method}>"


class Group:
    """Every dispatch of one (signal, sender, receivers) combination."""

    __slots__ = (
        "count",
        "detailed",
        "errors",
        "index",
        "max",
        "receiver_nested",
        "receiver_queries",
        "receiver_runs",
        "receiver_tasks",
        "receiver_totals",
        "receivers",
        "sender",
        "sender_ref",
        "signal",
        "signal_name",
        "slowest",
        "total",
    )

    def __init__(
        self,
        index: int,
        signal: Signal,
        sender: str,
        receivers: list[str],
        sender_ref: Callable[[], Any],
    ):
        self.index = index
        self.signal = signal
        self.signal_name = signal_name(signal)
        self.sender = sender
        self.sender_ref = sender_ref
        self.receivers = receivers
        self.count = 0
        self.detailed = 0
        self.total = 0.0
        self.max = 0.0
        self.errors = 0
        self.receiver_totals = [0.0] * len(receivers)
        # Per receiver: its own SQL, the SQL of dispatches nested inside it,
        # and (made when a task first ran inside one, see ``charge_task``)
        # {task: [count, seconds, its own part]} of tasks run inline in it.
        self.receiver_queries = [0] * len(receivers)
        self.receiver_nested = [0] * len(receivers)
        self.receiver_tasks: list[dict[str, list[Any]]] | None = None
        self.receiver_runs = [0] * len(receivers)
        self.slowest: DispatchRecord | None = None

    def charge_task(
        self,
        index: int,
        task: str,
        count: int,
        seconds: float,
        direct: int,
        nested: int,
    ) -> None:
        """Move the SQL of a task run inline in receiver ``index`` out of that
        receiver's own (``direct`` queries) and nested (``nested``) sums."""
        self.receiver_queries[index] -= direct
        self.receiver_nested[index] -= nested
        if self.receiver_tasks is None:
            self.receiver_tasks = [{} for _ in self.receivers]
        sums = self.receiver_tasks[index].setdefault(task, [0, 0.0, 0])
        sums[0] += count
        sums[1] += seconds
        sums[2] += direct


class Orphan:
    """Sends of one (signal, sender) that found no receivers: only counted."""

    __slots__ = ("connected", "count", "sender", "sender_id", "sender_ref", "signal")

    def __init__(
        self,
        signal: Signal,
        sender: str,
        sender_ref: Callable[[], Any],
        sender_id: int | None,
        connected: list[Any] | None = None,
    ):
        self.signal = signal
        self.sender = sender
        self.sender_ref = sender_ref
        # id(sender), as Django keys connections by it; None for many senders.
        self.sender_id = sender_id
        # The signal's connections at its first send (receivers held weakly),
        # when it had some but none was live for this sender.
        self.connected = connected
        self.count = 1


def hold_sender(sender: Any) -> Callable[[], Any]:
    """A way back to the sender that does not change its lifetime.

    Groups and orphan counters are keyed by ``id(sender)``; once a sender is
    freed, a new object can get its id. The ref tells them apart. Senders
    that cannot be weakly referenced (str, int, None...) are held: Django
    cannot hold them weakly either, so their lifetime does not matter to it.
    """
    try:
        return weakref.ref(sender)
    except TypeError:
        return lambda: sender


def not_called(dispatch: Dispatch, connected: list[Any]) -> list[dict[str, str]]:
    """Receivers of ``connected`` (the signal's connections) that did not run
    in ``dispatch``, each with why."""
    # _make_id, not id(): a weakly connected bound method is a new object
    # each time its WeakMethod is called.
    called = {_make_id(call[RECEIVER]) for call in dispatch.calls}
    live = {_make_id(receiver) for receiver in dispatch.receivers}
    sender_key = _make_id(dispatch.sender)
    result = []
    for entry in connected:
        lookup_key, ref = entry[0], entry[1]
        sender_ref = entry[2] if len(entry) == 4 else None
        receiver = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if receiver is None:
            result.append({"name": GARBAGE_COLLECTED, "reason": DEAD_WEAK})
            continue
        receiver_key = _make_id(receiver)
        if receiver_key in called:
            continue
        name = callable_name(receiver)
        if receiver_key in live:
            reason = "not reached: an earlier receiver raised"
        elif lookup_key[1] not in (NONE_ID, sender_key):
            connected_for = sender_for(lookup_key[1], sender_ref)
            reason = "connected for another sender" + (
                f" ({Describer().value(connected_for)})"
                if connected_for is not None
                else ""
            )
        elif sender_ref is not None and sender_ref() is None:
            reason = "its sender was garbage-collected"
        else:
            reason = "not live when the signal was sent"
        result.append({"name": name, "reason": reason})
    return result


def error_record(exc: BaseException) -> dict[str, Any]:
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not _is_own_file(frame.filename)
    ][-TRACEBACK_FRAMES:]
    return {
        "type": qualified_name(type(exc)),
        "message": exception_message(exc),
        "traceback": [[f.filename, f.lineno, f.name, f.line or ""] for f in frames],
    }


def _package_dir(module: Any) -> str:
    return os.path.dirname(os.path.abspath(module.__file__ or "")) + os.sep


_OWN_DIR = _package_dir(sys.modules["signal_panel"])
_SKIPPED_DIRS = (
    _OWN_DIR,
    _package_dir(sys.modules["django"]),
    _package_dir(sys.modules["asgiref"]),
    sysconfig.get_paths()["stdlib"] + os.sep,
    "<frozen ",
)


def _is_own_file(filename: str) -> bool:
    return filename.startswith(_OWN_DIR)


def call_site() -> list[Any] | None:
    """``[file, line, function]`` of the nearest frame outside Django, this
    package, asgiref and the standard library: the code that sent the signal."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIPPED_DIRS):
            return [filename, frame.f_lineno, frame.f_code.co_name]
        frame = frame.f_back
    return None
