"""The recorded data: what a recording keeps of each dispatch, bounded in size.

A :class:`Recording` receives :class:`~signal_panel.capture.Dispatch` objects
from the hot path and keeps plain, JSON-ready data: text descriptions, floats
and counts, never the user's objects themselves. Repeated dispatches (same
signal, sender and receivers) form a :class:`Group`; only the first few of a
group, and its slowest, are kept in detail, and no more than ``MAX_DETAILED``
in all. Dispatches that found no receivers are only counted.
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
import sysconfig
import traceback
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter
from types import MethodType
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.dispatch import Signal
from django.dispatch.dispatcher import NONE_ID, _make_id

from signal_panel import capture
from signal_panel.conf import Config, get_config
from signal_panel.describe import (
    DEFAULT_SECRET_PATTERN,
    Describer,
    callable_name,
    describe_exception,
    exception_message,
    known_signals,
    qualified_name,
    signal_name,
)

if TYPE_CHECKING:
    from signal_panel.capture import Dispatch, ReceiverCall

MAX_FAILURES = 20
# Distinct (signal, sender, receivers) groups and (signal, sender) orphan
# counters kept; beyond, senders are merged per signal.
MAX_KEYS = 300
MANY = -1
MANY_SENDERS = "(many senders)"
# Keyword arguments of model signals shown as first-class fields.
MODEL_CONTEXT = frozenset(
    ("created", "raw", "update_fields", "using", "action", "pk_set", "reverse", "model")
)
TRACEBACK_FRAMES = 8


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
        "duration",
        "error",
        "group",
        "id",
        "kwargs",
        "method",
        "model_context",
        "not_called",
        "parent_id",
        "sender",
        "signal",
        "signal_name",
        "start",
    )

    def __init__(
        self, dispatch: Dispatch, group: Group, kwargs: list[list[str]]
    ) -> None:
        self.id = dispatch.id
        self.parent_id: int | None = dispatch.parent_id
        self.signal = dispatch.signal
        self.signal_name = group.signal_name
        self.method = dispatch.method
        self.sender = group.sender
        self.kwargs = kwargs
        self.model_context = [pair for pair in kwargs if pair[0] in MODEL_CONTEXT]
        self.call_site: list[Any] | None = None
        self.start = dispatch.start
        self.duration = 0.0
        self.calls: list[CallRecord] = []
        self.not_called: list[dict[str, str]] = []
        self.error: dict[str, Any] | None = None
        self.group = group

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
        "receiver_queries",
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
        self.receiver_queries = [0] * len(receivers)
        self.slowest: DispatchRecord | None = None


class Orphan:
    """Sends of one (signal, sender) that found no receivers: only counted."""

    __slots__ = ("count", "sender", "sender_ref", "signal")

    def __init__(self, signal: Signal, sender: str, sender_ref: Callable[[], Any]):
        self.signal = signal
        self.sender = sender
        self.sender_ref = sender_ref
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


class Recording:
    """Every signal dispatch made in one context: a request, or a ``with`` block.

    Fed by the hot path from any thread or task of that context, so each
    method only appends to lists or updates counters.
    """

    def __init__(
        self, config: Config | None = None, instrumentation: str = "none"
    ) -> None:
        self.config = config or get_config()
        # How Signal was instrumented when it started (capture.instrumentation()).
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
        self.dispatches: list[DispatchRecord] = []
        self.groups: dict[tuple[int, ...], Group] = {}
        self.orphans: dict[tuple[int, int], Orphan] = {}
        self.failures: list[str] = []
        self._open: dict[int, tuple[Group, DispatchRecord | None]] = {}
        # Keys for orphan counters whose sender was freed and its id reused.
        self._retired = itertools.count()

    # Fed by capture (hot path).

    def count_orphan(self, signal: Signal, sender: Any) -> None:
        key = (id(signal), id(sender))
        orphan = self.orphans.get(key)
        if orphan is not None and orphan.sender_ref() is not sender:
            # The sender it counted was freed and its id reused.
            self.orphans[(MANY, next(self._retired))] = self.orphans.pop(key)
            orphan = None
        if orphan is not None:
            orphan.count += 1
        elif len(self.orphans) < MAX_KEYS:
            self.orphans[key] = Orphan(
                signal, self.describe_sender(sender), hold_sender(sender)
            )
        else:  # A new sender object per send: one bucket per signal.
            key = (id(signal), MANY)
            orphan = self.orphans.get(key)
            if orphan is None:
                self.orphans[key] = Orphan(signal, MANY_SENDERS, hold_sender(MANY))
            else:
                orphan.count += 1

    def start(self, dispatch: Dispatch) -> None:
        """Django has resolved the receivers; none has run yet."""
        receivers = dispatch.receivers
        # _make_id only where needed: a weakly connected bound method is a
        # new object each send; id() is the same as _make_id for the rest.
        key = (
            id(dispatch.signal),
            id(dispatch.sender),
            *map(_make_id if MethodType in map(type, receivers) else id, receivers),
        )
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
        record = None
        if (
            group.detailed < self.config.detailed_per_group
            and len(self.dispatches) < self.config.max_detailed
        ):
            group.detailed += 1
            record = self._detail(dispatch, group)
            if self.config.capture_call_site:
                record.call_site = call_site()
            self.dispatches.append(record)
        self._open[id(dispatch)] = (group, record)

    def finish(self, dispatch: Dispatch) -> None:
        """The send returned or raised; fold it into its group and record."""
        group, record = self._open.pop(id(dispatch))
        duration = dispatch.duration or 0.0
        group.count += 1
        group.total += duration
        failed = dispatch.error is not None
        totals = group.receiver_totals
        for call in dispatch.calls:
            # call.index: the receiver's position in dispatch.receivers.
            totals[call.index] += call.duration or 0.0
            if call.error is not None:
                failed = True
            if call.queries:
                group.receiver_queries[call.index] += sum(
                    count for count, _ in call.queries.values()
                )
        if failed:
            group.errors += 1
        if record is None and duration > group.max and group.detailed:
            # Slower than every dispatch of its group so far: keep it too.
            record = group.slowest = self._detail(dispatch, group)
        if duration > group.max:
            group.max = duration
        if record is not None:
            self._complete(record, dispatch)

    def _detail(self, dispatch: Dispatch, group: Group) -> DispatchRecord:
        record = DispatchRecord(dispatch, group, self.describer.kwargs(dispatch.named))
        if group.sender is MANY_SENDERS:
            record.sender = self.describe_sender(dispatch.sender)
        return record

    def fail(self, exc: BaseException) -> None:
        """The recorder itself failed; the user's send went on regardless."""
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(describe_exception(exc))

    # Describing.

    def describe_sender(self, sender: Any) -> str:
        return self.describer.value(sender)

    def _complete(self, record: DispatchRecord, dispatch: Dispatch) -> None:
        record.duration = dispatch.duration or 0.0
        record.calls = [self._call_record(call) for call in dispatch.calls]
        record.not_called = not_called(dispatch)
        if dispatch.error is not None:
            record.error = error_record(dispatch.error)

    def _call_record(self, call: ReceiverCall) -> CallRecord:
        error = error_record(call.error) if call.error is not None else None
        return CallRecord(
            callable_name(call.receiver),
            call.is_async,
            call.start,
            call.duration or 0.0,
            None if error else self.describer.value(call.result),
            error,
            call.queries,
            call.nested_queries,
        )

    # Reading.

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.dispatches)} detailed dispatches>"

    def close(self) -> None:
        if self.end is None:
            self.end = perf_counter()

    @property
    def complete(self) -> bool:
        return not self.failures

    def signal_names(self) -> list[str]:
        """Names of the detailed dispatches, in the order they were sent."""
        return [record.signal_name for record in self.dispatches]

    def filter(self, signal: Signal | str) -> list[DispatchRecord]:
        """Detailed dispatches of one signal (object or dotted path)."""
        if isinstance(signal, Signal):
            return [r for r in self.dispatches if r.signal is signal]
        return [r for r in self.dispatches if r.signal_name == signal]

    def to_stats(self) -> dict[str, Any]:
        from signal_panel.stats import to_stats

        return to_stats(self)


# Config -> (the known_signals() mapping resolved from, the ignored ids).
_ignored: dict[Config, tuple[dict[int, Any], frozenset[int]]] = {}
_toolbar_models: list[frozenset[int]] = []


def ignored_signal_ids(config: Config) -> frozenset[int]:
    """ids of the known signals that ``config`` ignores; resolved again once
    new modules (and so, maybe, new signals) were imported."""
    signals = known_signals()
    cached = _ignored.get(config)
    if cached is not None and cached[0] is signals:
        return cached[1]
    ids = frozenset(key for key, (_, name) in signals.items() if config.ignores(name))
    if len(_ignored) >= 64:
        _ignored.clear()
    _ignored[config] = (signals, ids)
    return ids


def toolbar_model_ids() -> frozenset[int]:
    """ids of the toolbar's own models (its DatabaseStore): never recorded."""
    if _toolbar_models:
        return _toolbar_models[0]
    if not apps.ready:
        return frozenset()
    ids = frozenset(
        id(model)
        for model in (
            apps.get_app_config("debug_toolbar").get_models()
            if apps.is_installed("debug_toolbar")
            else ()
        )
    )
    _toolbar_models.append(ids)
    return ids


def not_called(dispatch: Dispatch) -> list[dict[str, str]]:
    """Receivers connected to the signal that did not run, each with why."""
    # _make_id, not id(): a weakly connected bound method is a new object
    # each time its WeakMethod is called.
    called = {_make_id(call.receiver) for call in dispatch.calls}
    live = {_make_id(receiver) for receiver in dispatch.receivers}
    sender_key = _make_id(dispatch.sender)
    result = []
    for entry in dispatch.connected:
        lookup_key, ref = entry[0], entry[1]
        sender_ref = entry[2] if len(entry) == 4 else None
        receiver = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if receiver is None:
            result.append(
                {"name": "(garbage-collected)", "reason": "dead weak reference"}
            )
            continue
        receiver_key = _make_id(receiver)
        if receiver_key in called:
            continue
        name = callable_name(receiver)
        if receiver_key in live:
            reason = "not reached: an earlier receiver raised"
        elif lookup_key[1] not in (NONE_ID, sender_key):
            connected_for = sender_ref() if sender_ref is not None else None
            reason = "connected for another sender" + (
                f" ({describe_sender(connected_for)})"
                if connected_for is not None
                else ""
            )
        elif sender_ref is not None and sender_ref() is None:
            reason = "its sender was garbage-collected"
        else:
            reason = "not live when the signal was sent"
        result.append({"name": name, "reason": reason})
    return result


def describe_sender(sender: Any) -> str:
    return Describer().value(sender)


def error_record(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if not _is_own_file(f.filename)][-TRACEBACK_FRAMES:]
    return {
        "type": qualified_name(type(exc)),
        "message": exception_message(exc),
        "traceback": [[f.filename, f.lineno, f.name, f.line or ""] for f in frames],
    }


def _package_dir(module_name: str) -> str:
    module = importlib.import_module(module_name)
    return os.path.dirname(os.path.abspath(module.__file__ or "")) + os.sep


_OWN_DIR = _package_dir("signal_panel")
_SKIPPED_DIRS = (
    _OWN_DIR,
    _package_dir("django"),
    _package_dir("asgiref"),
    sysconfig.get_paths()["stdlib"] + os.sep,
    "<frozen ",
)


def _is_own_file(filename: str) -> bool:
    return filename.startswith(_OWN_DIR)


def call_site() -> list[Any] | None:
    """``[file, line, function]`` of the nearest frame outside Django, this
    package, asgiref and the standard library: the code that sent the signal."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIPPED_DIRS):
            return [filename, frame.f_lineno, frame.f_code.co_name]
        frame = frame.f_back
    return None


@contextmanager
def record_signals(config: Config | None = None) -> Iterator[Recording]:
    """Record every signal dispatch made in the current context.

    The current context is this thread or asyncio task, and the
    ``sync_to_async``/``async_to_sync`` hops made from it. Works without the
    toolbar and without ``signal_panel`` in ``INSTALLED_APPS``::

        with record_signals() as recording:
            Article.objects.create(title="Hello")
        assert "django.db.models.signals.post_save" in recording.signal_names()
    """
    capture.install()
    recording = Recording(config, capture.instrumentation())
    token = capture._recordings.set((*capture.active_recordings(), recording))
    try:
        yield recording
    finally:
        capture._recordings.reset(token)
        recording.close()
