"""The JSON form of a recording: what the toolbar stores and the panel renders.

Only JSON-native values (dicts with string keys, lists, str, numbers, bools,
None), so the live panel, the store and the History panel all see the same
document. Times are milliseconds from the recording's origin: for a request,
the moment ``request_started`` was sent. ``docs/stats-format.md`` documents it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from signal_panel.analysis.diagnose import orphan_receivers, receiver_statuses
from signal_panel.analysis.findings import of_recording
from signal_panel.conf import Config
from signal_panel.describe import Describer
from signal_panel.recorder import gc_pauses
from signal_panel.recording.records import CallRecord, DispatchRecord, Group, Orphan
from signal_panel.sources.signal_names import signal_family, signal_name

# 2: the registry is stored once per process state (``process_state``,
# ``registry_in``), without a recording's fields; ``fired``, ``runs`` and
# ``not_run`` are worked out when it is read.
VERSION = 2
# The versions the view and the report read: 1 differs in the registry only.
READABLE = (1, 2)


class Recorded(Protocol):
    """What the document is made of (a ``recording.base.BaseRecording``)."""

    config: Config
    origin: float
    end: float | None
    gc: float | None
    instrumentation: str
    describer: Describer
    dispatches: list[DispatchRecord]
    groups: dict[tuple[int, ...], Group]
    orphans: dict[tuple[int, int], Orphan]
    failures: list[str]
    # Threads started inside it (``recorder.threads``).
    threads_at_end: int
    threads_open: int
    after_end: int


class Process(Protocol):
    """What the process's modules and connections give every document
    (a ``process_state.ProcessState``)."""

    @property
    def key(self) -> str: ...
    @property
    def registry(self) -> list[dict[str, Any]]: ...
    @property
    def findings(self) -> list[dict[str, Any]]: ...


def to_stats(
    recording: Recorded,
    process: Process,
    with_registry: bool = False,
    built: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The document of ``recording`` in the process state ``process``;
    ``with_registry`` adds every signal and its connected receivers, each
    with its runs or why it never ran.

    ``built`` keeps the dispatches' JSON from one call to the next: a
    record does not change once its dispatch has ended, so a document built
    again (after ``request_finished``) only builds the records added since.
    """
    origin = recording.origin
    built = {} if built is None else built
    records = _kept(recording)
    kept = {record.id for record in records}
    dispatches = []
    for record in records:
        dispatch = built.get(record.id)
        if dispatch is None:
            dispatch = _dispatch(record, origin, _ms)
            if record.connected is None and record.duration:  # It has ended.
                built[record.id] = dispatch
        parent = record.parent_id
        if parent is not None:
            dispatch = {**dispatch, "parent_kept": parent in kept}
        dispatches.append(dispatch)
    groups = _groups(recording)
    orphans: list[dict[str, Any]] = sorted(
        (_orphan(orphan, recording.describer) for orphan in recording.orphans.values()),
        key=lambda orphan: (-orphan["count"], orphan["signal"], orphan["sender"]),
    )
    document: dict[str, Any] = {
        "version": VERSION,
        "summary": _summary(recording, records),
        "dispatches": dispatches,
        "groups": groups,
        "orphans": orphans,
        "failures": list(recording.failures),
        "instrumentation": recording.instrumentation,
        "settings": {
            "max_detailed": recording.config.max_detailed,
            "detailed_per_group": recording.config.detailed_per_group,
            "editor_url": recording.config.editor_url,
        },
    }
    document["findings"] = of_recording(process.findings, document, process.registry)
    document["process_state"] = process.key
    if with_registry:
        document["registry"] = receiver_statuses(process.registry, document)
    return document


def summary_of(recording: Recorded) -> dict[str, Any]:
    """The document's ``summary`` as :func:`to_stats` would give it now,
    without building the rest (the toolbar's sidebar line and Server-Timing
    header, when the document itself is built once, after
    ``request_finished``)."""
    return _summary(recording, _kept(recording))


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _kept(recording: Recorded) -> list[DispatchRecord]:
    """The records kept in detail, each group's slowest among them, in the
    order they were sent."""
    records = list(recording.dispatches)
    kept = {record.id for record in records}
    for group in recording.groups.values():
        slowest = group.slowest
        if slowest is not None and slowest.id not in kept:
            records.append(slowest)
            kept.add(slowest.id)
    records.sort(key=lambda record: (record.start, record.id))
    return records


def _groups(recording: Recorded) -> list[dict[str, Any]]:
    return [
        {
            "id": group.index,
            "signal": group.signal_name,
            "sender": group.sender,
            "receivers": [
                {
                    "name": name,
                    "runs": runs,
                    "total_ms": _ms(total),
                    "queries": queries,
                    "nested_queries": nested,
                    "task_queries": _tasks(group, index, _ms),
                }
                for index, (name, runs, total, queries, nested) in enumerate(
                    zip(
                        group.receivers,
                        group.receiver_runs,
                        group.receiver_totals,
                        group.receiver_queries,
                        group.receiver_nested,
                        strict=True,
                    )
                )
            ],
            "count": group.count,
            "detailed": group.detailed + (1 if group.slowest is not None else 0),
            "total_ms": _ms(group.total),
            "mean_ms": _ms(group.total / group.count) if group.count else 0.0,
            "max_ms": _ms(group.max),
            "errors": group.errors,
        }
        for group in recording.groups.values()
        if group.count
    ]


def _summary(recording: Recorded, records: list[DispatchRecord]) -> dict[str, Any]:
    """The figures of the groups' dicts (``_groups``), added up from the
    groups themselves: the summary is also built alone, with the response."""
    groups = [group for group in recording.groups.values() if group.count]
    total_dispatches = sum(group.count for group in groups)
    end = recording.end
    return {
        "dispatches": total_dispatches,
        "detailed": len(records),
        "dropped": total_dispatches - len(records),
        "receivers": sum(sum(group.receiver_runs) for group in groups),
        # The sum of what the groups show, each receiver's rounded.
        "receiver_time_ms": round(
            sum(_ms(total) for group in groups for total in group.receiver_totals), 3
        ),
        # The receivers' own SQL and their inline tasks' own: each once.
        "queries": sum(sum(group.receiver_queries) for group in groups)
        + sum(
            sums[2]
            for group in recording.groups.values()
            for tasks in group.receiver_tasks or ()
            for sums in tasks.values()
        ),
        "errors": sum(group.errors for group in groups),
        "orphans": sum(orphan.count for orphan in recording.orphans.values()),
        "span_ms": _ms(end - recording.origin) if end is not None else None,
        # Collector pauses in the whole span; null while it runs.
        "gc_ms": (
            _ms(recording.gc)
            if recording.gc is not None and gc_pauses.MEASURED
            else None
        ),
        "request_finished": any(
            record.signal_name == "django.core.signals.request_finished"
            for record in records
        ),
        # Threads started inside it and not done when it ended, how many of
        # them are still not done, and the sends such threads made after the
        # end (not recorded: counted).
        "threads_at_end": recording.threads_at_end,
        "threads_running": recording.threads_open if end is not None else 0,
        "after_end": recording.after_end,
    }


def _tasks(
    group: Group, index: int, ms: Callable[[float], float]
) -> list[dict[str, Any]]:
    """The SQL of tasks run inline in a group's receiver, per task."""
    tasks = group.receiver_tasks[index] if group.receiver_tasks else {}
    return [
        {"task": task, "count": count, "time_ms": ms(seconds)}
        for task, (count, seconds, _) in tasks.items()
    ]


def _orphan(orphan: Orphan, describer: Describer) -> dict[str, Any]:
    return {
        "signal": signal_name(orphan.signal),
        "sender": orphan.sender,
        "count": orphan.count,
        # The receivers connected now, and why none of them ran.
        "receivers": orphan_receivers(
            orphan.signal, orphan.sender, orphan.sender_id, describer, orphan.connected
        ),
    }


def _dispatch(
    record: DispatchRecord, origin: float, ms: Callable[[float], float]
) -> dict[str, Any]:
    """A dispatch's JSON, without the fields that hold their empty value
    (``docs/stats-format.md``: absent reads as empty): most dispatches have
    no parent, error or receiver that was not called."""
    built = {
        "id": record.id,
        "group": record.group.index,
        "signal": record.signal_name,
        "family": signal_family(record.signal_name),
        "method": record.method,
        "sender": record.sender,
        "kwargs": record.kwargs,
        "call_site": record.call_site,
        "start_ms": ms(record.start - origin),
        "duration_ms": ms(record.duration),
        "outside_ms": ms(outside_receivers(record)),
        "receivers": [_call(call, origin, ms) for call in record.calls],
    }
    if record.parent_id is not None:
        built["parent"] = record.parent_id
        built["parent_receiver"] = record.parent_receiver
    if record.model_context:
        built["model_context"] = record.model_context
    if gc_pauses.MEASURED:
        built["gc_ms"] = ms(record.gc)
    if record.not_called:
        built["not_called"] = record.not_called
    if record.error is not None:
        built["error"] = record.error
    if record.thread is not None:
        built["thread"] = record.thread
    return built


def outside_receivers(record: DispatchRecord) -> float:
    """Seconds of the dispatch when none of its receivers was running:
    Django's own work, and pauses (a collection, another thread's turn)."""
    end = record.start + record.duration
    spans = sorted(
        (max(call.start, record.start), min(call.start + call.duration, end))
        for call in record.calls
    )
    inside, reached = 0.0, record.start
    for start, stop in spans:
        start = max(start, reached)
        if stop > start:
            inside += stop - start
            reached = stop
    return max(record.duration - inside, 0.0)


def _call(
    call: CallRecord, origin: float, ms: Callable[[float], float]
) -> dict[str, Any]:
    """A receiver's call's JSON, without the fields that hold their empty
    value (as :func:`_dispatch`): most calls are sync, raise nothing and
    run no SQL."""
    built = {
        "name": call.name,
        "start_ms": ms(call.start - origin),
        "duration_ms": ms(call.duration),
        "result": call.result,
    }
    if call.is_async:
        built["is_async"] = True
    if call.error is not None:
        built["error"] = call.error
    if call.queries:
        built["queries"] = [
            {"alias": alias, "count": count, "time_ms": ms(seconds)}
            for alias, (count, seconds) in call.queries.items()
        ]
    if call.nested_queries[0]:
        built["nested_queries"] = {
            "count": call.nested_queries[0],
            "time_ms": ms(call.nested_queries[1]),
        }
    if call.task_queries:
        built["task_queries"] = [
            {"task": task, "count": count, "time_ms": ms(seconds)}
            for task, count, seconds in call.task_queries
        ]
    return built
