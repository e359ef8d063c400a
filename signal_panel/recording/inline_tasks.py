"""SQL of tasks run inline inside a receiver, told apart from the receiver's own.

An immediate task backend (``django.tasks`` on Django 6, the ``django_tasks``
backport before) runs a task inside ``.enqueue()``: when a receiver enqueues
one, the task's SQL is charged to that receiver's call (its own queries, and
its nested dispatches' queries). The backend sends ``task_started`` before
the task function runs and ``task_finished`` after, both from inside the
receiver: a recording notes the call's SQL counters when ``task_started``
starts and takes the difference when the matching ``task_finished`` starts
(matched by their ``task_result``). The call's counters are never changed
(they roll up to the receivers around it as before): the recording subtracts
the task's share when it keeps the call.

Off the hot path: a recording looks here only for a dispatch of one of the
task signals that reached it (a recording that ignores them, or a backend
that sends none, leaves every query as the receiver's own).
"""

from __future__ import annotations

import sys
from typing import Any

from signal_panel.recorder.inflight import NESTED, QUERIES, Call, Dispatch

TASK_SIGNAL_MODULES = ("django.tasks.signals", "django_tasks.signals")
# Tasks started and not yet finished, and finished ones not yet folded into
# their receiver's call, kept at most (a task that never finishes, a
# receiver's dispatch this recording does not keep).
MAX_OPEN = 1000


class TaskRun:
    """SQL one task ran inline inside a receiver's call: its own (per alias)
    and that of the dispatches it sent."""

    __slots__ = ("direct", "name", "nested")

    def __init__(
        self, name: str, direct: dict[str, list[Any]], nested: list[Any]
    ) -> None:
        self.name = name
        self.direct = direct
        self.nested = nested

    @property
    def direct_count(self) -> int:
        return sum(count for count, _ in self.direct.values())

    @property
    def count(self) -> int:
        return self.direct_count + int(self.nested[0])

    @property
    def seconds(self) -> float:
        direct = sum(float(seconds) for _, seconds in self.direct.values())
        return direct + float(self.nested[1])

    def sums(self) -> tuple[str, int, float, int, int]:
        """(task, all its queries, their seconds, its own, its dispatches')."""
        return self.name, self.count, self.seconds, self.direct_count, self.nested[0]


# The tasks run inside each call of a dispatch, by id() of the call.
Ran = dict[int, list[TaskRun]]


def task_signal_ids() -> dict[int, bool]:
    """``{id(signal): True for task_started, False for task_finished}`` of
    the task signals loaded in this process."""
    found: dict[int, bool] = {}
    for name in TASK_SIGNAL_MODULES:
        module = sys.modules.get(name)
        for attribute, started in (("task_started", True), ("task_finished", False)):
            signal = getattr(module, attribute, None)
            if signal is not None:
                found[id(signal)] = started
    return found


def task_name(task_result: Any) -> str:
    """The dotted path of the task a ``TaskResult`` is of."""
    try:
        return str(task_result.task.module_path)
    except Exception:
        return "(a task)"


class InlineTasks:
    """One recording's tasks run inline: open ones, and finished ones by the
    receiver's call they ran in (``(its dispatch's key, id(call))``)."""

    __slots__ = ("done", "open", "signals")

    def __init__(self) -> None:
        self.signals = task_signal_ids()
        # id(task_result) -> (call's key, own SQL then, nested SQL then, task).
        self.open: dict[int, tuple[tuple[int | None, int], Any, Any, str]] = {}
        self.done: dict[tuple[int | None, int], list[TaskRun]] = {}

    def boundary(self, dispatch: Dispatch) -> None:
        """A task signal's dispatch starts (its receivers have not run)."""
        call = dispatch.parent
        if not isinstance(call, list):
            return  # Not sent from inside a receiver.
        key = (dispatch.parent_key, id(call))
        result = (dispatch.named or {}).get("task_result")
        if self.signals.get(dispatch.signal_id):
            if len(self.open) >= MAX_OPEN or any(
                mark[0] == key for mark in self.open.values()
            ):
                return  # A task started by a task: part of the outer one.
            self.open[id(result)] = (
                key,
                {alias: tuple(pair) for alias, pair in (call[QUERIES] or {}).items()},
                tuple(call[NESTED] or (0, 0.0)),
                task_name(result),
            )
            return
        mark = self.open.pop(id(result), None)
        if mark is None or mark[0] != key or len(self.done) >= MAX_OPEN:
            return
        _, own_then, nested_then, name = mark
        direct = {}
        for alias, (count, seconds) in (call[QUERIES] or {}).items():
            count_then, seconds_then = own_then.get(alias, (0, 0.0))
            if count > count_then:
                direct[alias] = [count - count_then, seconds - seconds_then]
        count, seconds = call[NESTED] or (0, 0.0)
        nested = [count - nested_then[0], max(seconds - nested_then[1], 0.0)]
        self.done.setdefault(key, []).append(TaskRun(name, direct, nested))

    def take(self, dispatch_key: int, call: Call) -> list[TaskRun] | None:
        """The tasks run inside ``call`` (of the dispatch keyed ``dispatch_key``),
        forgotten here."""
        return self.done.pop((dispatch_key, id(call)), None)


def own_queries(
    queries: dict[str, list[Any]] | None, tasks: list[TaskRun] | None
) -> dict[str, list[Any]]:
    """A call's own SQL per alias without that of the tasks run inside it."""
    if not tasks:
        return queries or {}
    own = {alias: list(pair) for alias, pair in (queries or {}).items()}
    for task in tasks:
        for alias, (count, seconds) in task.direct.items():
            pair = own.get(alias)
            if pair is not None:
                pair[0] -= count
                pair[1] = max(pair[1] - seconds, 0.0)
    return {alias: pair for alias, pair in own.items() if pair[0] > 0}


def nested_queries(nested: list[Any] | None, tasks: list[TaskRun] | None) -> list[Any]:
    """A call's nested dispatches' SQL without that of the tasks run inside it."""
    count, seconds = nested or (0, 0.0)
    for task in tasks or ():
        count -= task.nested[0]
        seconds -= task.nested[1]
    return [max(count, 0), max(seconds, 0.0)]


def split(
    queries: dict[str, list[Any]] | None,
    nested: list[Any] | None,
    tasks: list[TaskRun] | None,
) -> tuple[dict[str, list[Any]] | None, list[Any] | None, list[list[Any]] | None]:
    """A call's own SQL, its nested dispatches', and its tasks' ``[task,
    count, seconds]``, each without the others' (as they are, without tasks)."""
    if not tasks:
        return queries, nested, None
    return (
        own_queries(queries, tasks),
        nested_queries(nested, tasks),
        [[task.name, task.count, task.seconds] for task in tasks],
    )
