"""The Dispatches tab's view model: one row per dispatch kept in detail.

A row is what the timeline lane, the table row and its details show: the
dispatch's own fields as text and numbers, its bar on the timeline, the
receivers it called, and where it sits among the others (nested under the
dispatch that sent it; folded under the first of its group).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from signal_panel.analysis.reading import (
    Document,
    items,
    mapping,
    number,
    objects,
    whole,
)
from signal_panel.view.model import (
    MIN_BAR,
    MIN_SUB_BAR,
    Bar,
    Failure,
    Location,
    Scale,
    Sources,
    failure,
    family_of,
    ident,
    is_error,
    item_count,
    pairs,
    text,
)
from signal_panel.view.tables import GroupRow

REQUEST_STARTED = "django.core.signals.request_started"
REQUEST_FINISHED = "django.core.signals.request_finished"
# Repeats of a group fold under its first dispatch when the group has more
# than this many kept in detail; fewer (a pre_add and its post_add) stay in view.
FOLD_FROM = 2
# Deepest nesting given its own indentation step.
MAX_DEPTH = 8


@dataclass(slots=True)
class Queries:
    """SQL a receiver ran on one database alias."""

    alias: str
    count: int
    time_ms: float


@dataclass(slots=True)
class CallRow:
    """A receiver that ran: when, how long, what it returned or raised."""

    name: str
    is_async: bool
    start_ms: float
    duration_ms: float
    result: str
    error: Failure | None
    queries: tuple[Queries, ...]
    nested_query_count: int
    nested_query_ms: float
    bar: Bar
    # (task, count, ms) of each task an immediate backend ran inline in it.
    tasks: tuple[tuple[str, int, float], ...] = ()

    @property
    def query_count(self) -> int:
        """Its own queries and those of the tasks run inline in it (each
        query once: a nested dispatch's are in that dispatch's row)."""
        own = sum(queries.count for queries in self.queries)
        return own + sum(count for _, count, _ in self.tasks)

    @classmethod
    def of(cls, call: Document, scale: Scale, sources: Sources) -> CallRow:
        start = number(call.get("start_ms"))
        duration = number(call.get("duration_ms"))
        nested = mapping(call.get("nested_queries"))
        return cls(
            name=text(call.get("name")),
            is_async=bool(call.get("is_async")),
            start_ms=start,
            duration_ms=duration,
            result=text(str(call.get("result"))),
            error=failure(call.get("error"), sources),
            queries=tuple(
                Queries(
                    text(queries.get("alias")),
                    whole(queries.get("count")),
                    number(queries.get("time_ms")),
                )
                for queries in objects(call.get("queries"))
            ),
            nested_query_count=whole(nested.get("count")),
            nested_query_ms=number(nested.get("time_ms")),
            bar=scale.bar(start, duration, MIN_SUB_BAR),
            tasks=tuple(
                (text(q.get("task")), whole(q.get("count")), number(q.get("time_ms")))
                for q in objects(call.get("task_queries"))
            ),
        )


@dataclass(slots=True)
class NotCalled:
    """A receiver connected to the signal that did not run, and why."""

    name: str
    reason: str


@dataclass(slots=True)
class CallSite:
    """The line that sent the dispatch."""

    location: Location
    function: str


@dataclass(slots=True)
class Lead:
    """What the first dispatch of a group says about the rest of it."""

    repeats: int  # later dispatches of the group kept in detail
    folded: int  # of which fold under this one
    group_count: int  # sends of the group in the request, kept or not


@dataclass(slots=True)
class Place:
    """Where a dispatch sits among the others."""

    depth: int  # how deep it is nested in dispatches sent by receivers
    children: int  # dispatches sent by its receivers
    parent_signal: str | None  # the sending dispatch's, when that is kept in detail
    lead: Lead | None  # for the first dispatch of its group
    collapse: str  # the groups it folds under: its own and its ancestors'


@dataclass(slots=True)
class DispatchRow:
    """A dispatch kept in detail, as its lane, table row and details show it."""

    id: str
    signal: str
    sender: str
    family: str
    method: str
    start_ms: float
    duration_ms: float
    # Of its time, what was not spent in its receivers, and the garbage
    # collector's pauses; None in documents that do not say.
    outside_ms: float | None
    gc_ms: float | None
    bar: Bar
    receivers: tuple[CallRow, ...]
    not_called: tuple[NotCalled, ...]
    kwargs: tuple[tuple[str, str], ...]
    model_context: tuple[tuple[str, str], ...]
    call_site: CallSite | None
    error: Failure | None
    has_error: bool  # it raised, or one of its receivers did
    group: str
    group_totals: GroupRow | None
    parent: str | None
    parent_receiver: str  # the receiver of the parent that sent it, if known
    thread: str  # the thread it was sent in, if one started in the request
    # Where it sits among the others: see :class:`Place`.
    depth: int
    children: int
    parent_signal: str | None
    lead: Lead | None
    collapse: str

    @property
    def short_name(self) -> str:
        return self.signal.rsplit(".", 1)[-1]

    @property
    def module(self) -> str:
        return self.signal.rsplit(".", 1)[0] if "." in self.signal else ""

    @property
    def depth_class(self) -> int:
        return min(self.depth, MAX_DEPTH)

    @property
    def repeat(self) -> bool:
        return self.lead is None

    @property
    def anchor(self) -> bool:
        """``request_started`` and ``request_finished``: marked in every lane."""
        return self.signal in (REQUEST_STARTED, REQUEST_FINISHED)

    @property
    def query_count(self) -> int:
        return sum(call.query_count for call in self.receivers)

    @property
    def slowest_receiver_ms(self) -> float:
        return max((call.duration_ms for call in self.receivers), default=0.0)

    @property
    def essentials(self) -> tuple[tuple[str, str], ...]:
        """What tells apart dispatches of a model signal in the collapsed row:
        ``action``, ``created``, and how many primary keys ``pk_set`` has."""
        shown = []
        for key, value in self.model_context:
            if key == "action":
                shown.append((key, value.strip("'")))
            elif key == "created":
                shown.append((key, value))
            elif key == "pk_set":
                count = item_count(value)
                shown.append((key, value if count is None else f"{count} keys"))
        return tuple(shown)

    @property
    def search(self) -> str:
        """What the free-text filter matches, lowercased."""
        words = [
            self.signal,
            self.sender,
            self.method,
            self.family,
            *(call.name for call in self.receivers),
            *(receiver.name for receiver in self.not_called),
        ]
        return " ".join(words).lower()


def dispatch_rows(
    dispatches: Sequence[Document],
    groups: dict[str | None, GroupRow],
    scale: Scale,
    sources: Sources,
) -> list[DispatchRow]:
    """The rows of ``dispatches``, in order; ``groups`` keyed by their id."""
    return [
        _row(dispatch, place, groups, scale, sources)
        for dispatch, place in zip(dispatches, places(dispatches, groups), strict=True)
    ]


def _row(
    dispatch: Document,
    place: Place,
    groups: dict[str | None, GroupRow],
    scale: Scale,
    sources: Sources,
) -> DispatchRow:
    signal = text(dispatch.get("signal"))
    start = number(dispatch.get("start_ms"))
    duration = number(dispatch.get("duration_ms"))
    calls = tuple(
        CallRow.of(call, scale, sources) for call in objects(dispatch.get("receivers"))
    )
    error = failure(dispatch.get("error"), sources)
    return DispatchRow(
        id=text(dispatch.get("id")),
        signal=signal,
        sender=text(dispatch.get("sender")),
        family=family_of(dispatch, signal),
        method=text(dispatch.get("method")),
        start_ms=start,
        duration_ms=duration,
        outside_ms=_optional(dispatch.get("outside_ms")),
        gc_ms=_optional(dispatch.get("gc_ms")),
        bar=scale.bar(start, duration, MIN_BAR),
        receivers=calls,
        not_called=tuple(map(_not_called, items(dispatch.get("not_called")))),
        kwargs=pairs(dispatch.get("kwargs")),
        model_context=pairs(dispatch.get("model_context")),
        call_site=_call_site(dispatch.get("call_site"), sources),
        error=error,
        has_error=error is not None or any(call.error for call in calls),
        group=text(dispatch.get("group")),
        group_totals=groups.get(ident(dispatch.get("group"))),
        parent=ident(dispatch.get("parent")),
        parent_receiver=text(dispatch.get("parent_receiver")),
        thread=text(dispatch.get("thread")),
        depth=place.depth,
        children=place.children,
        parent_signal=place.parent_signal,
        lead=place.lead,
        collapse=place.collapse,
    )


def _not_called(entry: object) -> NotCalled:
    """``{"name", "reason"}``; a bare name (older documents) has no reason."""
    if isinstance(entry, dict):
        return NotCalled(text(entry.get("name")), text(entry.get("reason")))
    return NotCalled(text(entry), "")


def _call_site(site: object, sources: Sources) -> CallSite | None:
    """``[file, line, function]``, or nothing when it was not recorded."""
    if not isinstance(site, list | tuple) or len(site) < 3:
        return None
    file, line, function = site[:3]
    return CallSite(sources.locate(file, line), text(function))


def _optional(value: object) -> float | None:
    """A time the document may not have (older documents): None if absent."""
    return None if value is None else number(value)


def places(
    dispatches: Sequence[Document], groups: dict[str | None, GroupRow]
) -> list[Place]:
    """Where each dispatch sits, for dispatches in the order they were sent."""
    placing = _Placing(dispatches, groups)
    return [placing.place(dispatch) for dispatch in dispatches]


class _Placing:
    """Nesting and folding, walked in sending order (a parent before its children).

    A group's later dispatches fold under its first when the group has more
    than ``FOLD_FROM`` kept in detail; one with an error never folds away, so
    "only with errors" never misses one. A dispatch inside a folded one folds
    with it.
    """

    def __init__(
        self, dispatches: Sequence[Document], groups: dict[str | None, GroupRow]
    ) -> None:
        self.groups = groups
        self.kept = Counter(ident(dispatch.get("group")) for dispatch in dispatches)
        self.children = Counter(
            ident(dispatch.get("parent")) for dispatch in dispatches
        )
        self.signals = {
            ident(dispatch.get("id")): text(dispatch.get("signal"))
            for dispatch in dispatches
        }
        self.folded = Counter[str | None]()
        seen: set[str | None] = set()
        for dispatch in dispatches:
            group = ident(dispatch.get("group"))
            if self._folds(dispatch, group, first=group not in seen):
                self.folded[group] += 1
            seen.add(group)
        self.seen: set[str | None] = set()
        self.depths: dict[str | None, int] = {}
        self.collapse: dict[str | None, tuple[str, ...]] = {}

    def _folds(self, dispatch: Document, group: str | None, first: bool) -> bool:
        return not first and self.kept[group] > FOLD_FROM and not _errored(dispatch)

    def place(self, dispatch: Document) -> Place:
        key = ident(dispatch.get("id"))
        parent = ident(dispatch.get("parent"))
        group = ident(dispatch.get("group"))
        first = group not in self.seen
        self.seen.add(group)
        # A parent that was not kept in detail still indents its child.
        depth = 0 if parent is None else self.depths.get(parent, 0) + 1
        self.depths[key] = depth
        own = (text(group),) if self._folds(dispatch, group, first) else ()
        self.collapse[key] = collapse = own + self.collapse.get(parent, ())
        kept_parent = parent is not None and bool(dispatch.get("parent_kept"))
        return Place(
            depth=depth,
            children=self.children[key] if key is not None else 0,
            parent_signal=self.signals.get(parent) if kept_parent else None,
            lead=self._lead(group) if first else None,
            collapse=" ".join(collapse),
        )

    def _lead(self, group: str | None) -> Lead:
        totals = self.groups.get(group)
        return Lead(
            repeats=self.kept[group] - 1,
            folded=self.folded[group],
            group_count=(totals.count if totals else 0) or 1,
        )


def _errored(dispatch: Document) -> bool:
    """Whether the dispatch or a receiver raised (``DispatchRow.has_error``)."""
    return is_error(dispatch.get("error")) or any(
        is_error(call.get("error")) for call in objects(dispatch.get("receivers"))
    )
