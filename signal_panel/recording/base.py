"""What the hot path feeds: every dispatch of one request or ``with`` block, bounded.

A :class:`BaseRecording` receives :class:`~signal_panel.recorder.inflight.Dispatch`
objects from the hot path (through the ``Sink`` protocol of
:mod:`signal_panel.recorder.state`) and keeps plain, JSON-ready records
(``records``): text descriptions, floats and counts, never the user's
objects themselves. Repeated dispatches (same signal, sender and receivers)
form a group; only the first few of a group, and its slowest, are kept in
detail, and no more than ``MAX_DETAILED`` in all. Dispatches that found no
receivers are only counted. The user's conveniences (``to_stats()``,
``explain()``, ``report()``) need the analysis and the report, which sit
above this layer: :class:`signal_panel.api.Recording` adds them.
"""

from __future__ import annotations

import itertools
from time import perf_counter
from types import MethodType
from typing import Any

from django.dispatch import Signal
from django.dispatch.dispatcher import _make_id

from signal_panel.conf import Config, get_config
from signal_panel.describe import (
    DEFAULT_SECRET_PATTERN,
    Describer,
    callable_name,
    describe_exception,
)
from signal_panel.recorder import gc_pauses
from signal_panel.recorder.dispatch import weakly
from signal_panel.recorder.inflight import (
    ERROR,
    INDEX,
    NESTED,
    OWNER,
    QUERIES,
    RECEIVER,
    RESULT,
    SIZE,
    START,
    STOP,
    TOKEN,
    Call,
    Dispatch,
    duration,
    query_count,
)
from signal_panel.recording import inline_tasks
from signal_panel.recording.ignored import ignored_signal_ids, toolbar_model_ids
from signal_panel.recording.inline_tasks import InlineTasks, Ran, TaskRun
from signal_panel.recording.records import (
    MANY,
    MANY_SENDERS,
    CallRecord,
    DispatchRecord,
    Group,
    Orphan,
    call_site,
    error_record,
    hold_sender,
    not_called,
)
from signal_panel.recording.shared import SharedRecording

MAX_FAILURES = 20

# Distinct (signal, sender, receivers) groups and (signal, sender) orphan
# counters kept; beyond, senders are merged per signal.
MAX_KEYS = 300
# finish() unpacks each call by position, in the order of inflight's places:
# refuse to load with any other layout rather than fold the wrong slots.
_LAYOUT = (RECEIVER, INDEX, START, STOP, RESULT, ERROR, QUERIES, NESTED, TOKEN, OWNER)
if tuple(range(SIZE)) != _LAYOUT:
    raise ImportError(f"signal_panel.recording: unexpected call layout {_LAYOUT}")


class BaseRecording(SharedRecording):
    """Every signal dispatch made in one context: a request, or a ``with`` block.

    Fed by the hot path from any thread or task of that context, so each
    method only appends to lists or updates counters.
    """

    def __init__(
        self, config: Config | None = None, instrumentation: str = "none"
    ) -> None:
        self.config = config or get_config()
        # How Signal was instrumented when it started (instrument.instrumentation()).
        self.instrumentation = instrumentation
        # ids of the signals and senders this recording never records.
        self.ignored_signals = ignored_signal_ids(self.config)
        self.ignored_senders = toolbar_model_ids()
        self.describer = Describer(
            max_length=self.config.repr_length,
            secret_pattern="|".join((DEFAULT_SECRET_PATTERN, *self.config.hide_keys)),
        )
        self.origin = perf_counter()
        self.end: float | None = None
        # Garbage-collector pauses: the process's total at the start, then
        # the recording's own once closed.
        self.gc_origin = gc_pauses.total
        self.gc: float | None = None
        self.dispatches: list[DispatchRecord] = []
        self.groups: dict[tuple[int, ...], Group] = {}
        self.orphans: dict[tuple[int, int], Orphan] = {}
        self.failures: list[str] = []
        # The dispatches sent so far (their numbers), and those not ended yet
        # by their key (Dispatch.key): (group, record, number, the parent's
        # number).
        self.numbered = 0
        # How many more are kept in detail, in all and per group.
        self.room = self.config.max_detailed
        self.per_group = self.config.detailed_per_group
        self._open: dict[int, tuple[Group, DispatchRecord | None, int, int | None]] = {}
        # Keys for orphan counters whose sender was freed and its id reused.
        self._retired = itertools.count()
        # Tasks an immediate backend runs inside receivers: their SQL apart.
        self.tasks = InlineTasks()
        self.task_signals = self.tasks.signals
        # Threads started inside it (``recorder.threads``).
        SharedRecording.__init__(self)

    # Fed by the hot path (dispatch).

    def count_orphan(
        self, signal: Signal, sender: Any, connected: list[Any] | None = None
    ) -> None:
        """A send that found no live receiver (``connected``: the signal's
        connections then, if it had some)."""
        key = (id(signal), id(sender))
        orphan = dict.get(self.orphans, key)  # Not .get: see shared.py
        if orphan is not None and orphan.sender_ref() is not sender:
            # The sender it counted was freed and its id reused.
            self.orphans[(MANY, next(self._retired))] = self.orphans.pop(key)
            orphan = None
        if orphan is not None:
            orphan.count += 1
        elif len(self.orphans) < MAX_KEYS:
            self.orphans[key] = Orphan(
                signal,
                self.describe_sender(sender),
                hold_sender(sender),
                id(sender),
                weakly(list(connected)) if connected else None,
            )
        else:  # A new sender object per send: one bucket per signal.
            key = (id(signal), MANY)
            orphan = dict.get(self.orphans, key)  # Not .get: see shared.py
            if orphan is None:
                self.orphans[key] = Orphan(
                    signal, MANY_SENDERS, hold_sender(MANY), None
                )
            else:
                orphan.count += 1

    def start(self, dispatch: Dispatch) -> None:
        """Django has resolved the receivers; none has run yet."""
        receivers = dispatch.receivers
        # _make_id only where needed: a weakly connected bound method is a
        # new object each send; id() is the same as _make_id for the rest.
        # Never id() with a bound method among them: it could take the
        # address of a freed receiver and join its group. A loop, not
        # map(type, ...): no iterator object for the usual one to three;
        # the usual one without a map and a list at all.
        key: tuple[Any, ...]
        if len(receivers) == 1:
            receiver = receivers[0]
            key = (
                dispatch.signal_id,
                dispatch.sender_id,
                _make_id(receiver) if type(receiver) is MethodType else id(receiver),
            )
        else:
            for receiver in receivers:
                if type(receiver) is MethodType:
                    key = (
                        dispatch.signal_id,
                        dispatch.sender_id,
                        *map(_make_id, receivers),
                    )
                    break
            else:
                key = (dispatch.signal_id, dispatch.sender_id, *map(id, receivers))
        group = self.groups.get(key)
        if group is not None and group.sender_ref() is not dispatch.sender:
            # The sender it grouped was freed and its id reused.
            self.groups[(MANY, group.index)] = self.groups.pop(key)
            group = None
        if group is None:
            sender = self.describe_sender(dispatch.sender)
            sender_ref = hold_sender(dispatch.sender)
            if len(self.groups) >= MAX_KEYS:
                # A new sender object per send: one group per signal and receivers.
                key = (id(dispatch.signal), MANY, *map(_make_id, dispatch.receivers))
                group = self.groups.get(key)
                sender, sender_ref = MANY_SENDERS, hold_sender(MANY)
            if group is None:
                group = self.groups[key] = Group(
                    len(self.groups),
                    dispatch.signal,
                    sender,
                    [callable_name(r) for r in dispatch.receivers],
                    sender_ref,
                )
            # The task signals' module may have been imported since.
            self.task_signals.update(inline_tasks.task_signal_ids())
        if dispatch.signal_id in self.task_signals:
            self.tasks.boundary(dispatch)
        self.numbered = number = self.numbered + 1
        parent_number = None
        if dispatch.parent_key is not None:
            parent = self._open.get(dispatch.parent_key)
            if parent is not None:
                parent_number = parent[2]
        record = None
        if self.room and group.detailed < self.per_group:
            began, gc_began = perf_counter(), gc_pauses.total
            group.detailed += 1
            self.room -= 1
            record = self._detail(dispatch, group, number, parent_number)
            # The connections before any receiver ran (started() made the
            # copy, holding strongly connected receivers weakly).
            record.connected = dispatch.connected
            if self.config.capture_call_site:
                record.call_site = call_site()
            self.dispatches.append(record)
            # Describing it is the recorder's work, not the dispatch's: the
            # dispatch starts after it.
            dispatch.start += perf_counter() - began
            dispatch.gc_start += gc_pauses.total - gc_began
        self._open[dispatch.key] = (group, record, number, parent_number)

    def finish(self, dispatch: Dispatch) -> None:
        """The send returned or raised; fold it into its group and record."""
        group, record, number, parent_number = self._open.pop(dispatch.key)
        duration = dispatch.duration
        group.count += 1
        group.total += duration
        failed = dispatch.error is not None
        totals = group.receiver_totals
        runs = group.receiver_runs
        sync = 0
        tasks = self.tasks.done
        ran: Ran | None = None
        for call in dispatch.calls:
            # By position (see _LAYOUT): one specialised unpack, where any
            # getter would be a C call reading each slot generically.
            _, index, began, stop, _, error, queries, nested, _, _ = call
            # The receiver's position in dispatch.receivers: the n-th sync
            # receiver's call of a compiled send is the n-th receiver.
            if index is None:
                index, sync = sync, sync + 1
            if stop is not None:
                totals[index] += stop - began
            runs[index] += 1
            if error is not None:
                failed = True
            if queries:
                group.receiver_queries[index] += query_count(call)
            if nested:
                group.receiver_nested[index] += nested[0]
            if tasks and (runs_in := self.tasks.take(dispatch.key, call)):
                ran = ran or {}
                ran[id(call)] = runs_in
                for task in runs_in:
                    group.charge_task(index, *task.sums())
        if failed:
            group.errors += 1
        if duration > group.max:
            group.max = duration
            if record is None and group.detailed:
                # Slower than every dispatch of its group so far: keep it too.
                record = group.slowest = self._detail(
                    dispatch, group, number, parent_number
                )
        if record is not None:
            self._complete(record, dispatch, ran or {})

    def _detail(
        self, dispatch: Dispatch, group: Group, number: int, parent: int | None
    ) -> DispatchRecord:
        kwargs = self.describer.kwargs(dispatch.named or {})
        record = DispatchRecord(dispatch, group, kwargs, number, parent)
        if group.sender is MANY_SENDERS:
            record.sender = self.describe_sender(dispatch.sender)
        if self.threaded:
            record.thread = self.threaded.get(dispatch.key)
        return record

    def fail(self, exc: BaseException) -> None:
        """The recorder itself failed; the user's send went on regardless."""
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(describe_exception(exc))

    # Describing.

    def describe_sender(self, sender: Any) -> str:
        return self.describer.value(sender)

    def _complete(self, record: DispatchRecord, dispatch: Dispatch, tasks: Ran) -> None:
        # The start moved past the recordings' own work (see dispatch.started).
        record.start = dispatch.start
        record.duration = dispatch.duration or 0.0
        record.gc = dispatch.gc
        sync_count, sync = dispatch.sync_count, 0
        record.calls = []
        for call in dispatch.calls:
            index = call[INDEX]
            if index is None:
                index, sync = sync, sync + 1
            record.calls.append(
                self._call_record(call, index >= sync_count, tasks.get(id(call)))
            )
        record.calls.sort(key=lambda call: call.start)  # Sync and async mixed.
        connected, record.connected = record.connected, None
        record.not_called = not_called(
            dispatch, dispatch.connected if connected is None else connected
        )
        if dispatch.error is not None:
            record.error = error_record(dispatch.error)

    def _call_record(
        self, call: Call, is_async: bool, tasks: list[TaskRun] | None
    ) -> CallRecord:
        error = error_record(call[ERROR]) if call[ERROR] is not None else None
        return CallRecord(
            callable_name(call[RECEIVER]),
            is_async,
            call[START],
            duration(call),
            None if error else self.describer.value(call[RESULT]),
            error,
            *inline_tasks.split(call[QUERIES], call[NESTED], tasks),
        )

    # Reading.

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.dispatches)} detailed dispatches>"

    def close(self) -> None:
        if self.end is None:
            self.end = perf_counter()
            self.gc = gc_pauses.total - self.gc_origin
            self.threads_at_end = self.threads_open

    @property
    def complete(self) -> bool:
        """True unless the recorder itself failed while recording (see
        ``failures``): then some dispatches may be missing or partial, while
        the user's code ran as usual."""
        return not self.failures

    def signal_names(self) -> list[str]:
        """Names of the detailed dispatches, in the order they were sent."""
        return [record.signal_name for record in self.dispatches]

    def filter(self, signal: Signal | str) -> list[DispatchRecord]:
        """Detailed dispatches of one signal (object or dotted path)."""
        if isinstance(signal, Signal):
            return [r for r in self.dispatches if r.signal is signal]
        return [r for r in self.dispatches if r.signal_name == signal]
