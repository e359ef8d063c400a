"""Receivers summed over many stats documents: the requests in the toolbar's
store (the panel's "Across requests" tab) or the tests of a run (``pytest
--signals-profile``).

Pure: documents in, JSON-ready rows out. A document of another version, or
any foreign value, adds what it has and nothing else. ``Totals`` folds one
document at a time (a test run keeps no documents) and merges with another
``Totals``' JSON (pytest-xdist's workers): each source (a request, a test)
is added once, in one place, so the top sources per receiver merge exactly.

Per row, from each document's ``groups[].receivers[]``: ``calls`` (runs),
``total_ms``, own ``queries``, ``nested_queries``, queries of ``tasks`` run
inline. ``max_ms`` is the longest single run kept in detail (each group
keeps its first dispatches and its slowest), or a run's mean in a document
that kept none of that receiver's. ``errors`` are exact for a receiver alone
in its group (the group's ``errors`` counts its failed dispatches); in a
group of several, only the failed runs kept in detail can be told apart, so
the row says ``errors_exact: false``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

from signal_panel.analysis.reading import Document, number, objects, whole
from signal_panel.sources.owners import owner_of

# How many sources (tests) a row names: those that called the receiver most.
TOP = 3


def _us(value: object) -> int:
    """Milliseconds (rounded to the microsecond, as documents are) as whole
    microseconds: sums then do not depend on the order of adding."""
    return round(number(value) * 1000)


def _ms(us: float) -> float:
    return round(us / 1000, 3)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _task_queries(value: object) -> int:
    if isinstance(value, list | tuple):  # [{"task", "count", "time_ms"}]
        return sum(whole(task.get("count")) for task in objects(value))
    return whole(value)


class _Row:
    __slots__ = (
        "calls",
        "costliest",
        "errors",
        "exact",
        "max",
        "nested",
        "queries",
        "receiver",
        "signal",
        "sources",
        "tasks",
        "top",
        "total",
    )  # fmt: skip

    def __init__(self, signal: str, receiver: str) -> None:
        self.signal, self.receiver = signal, receiver
        self.calls = self.sources = self.queries = self.nested = 0
        self.tasks = self.errors = 0
        self.total = self.max = 0  # microseconds
        self.exact = True
        # [source, total µs, calls] of the source where it cost the most.
        self.costliest: list[Any] | None = None
        # Heap of (calls, total µs, source): the TOP sources that called it most.
        self.top: list[tuple[int, int, str]] = []

    def to_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "receiver": self.receiver,
            "calls": self.calls,
            "sources": self.sources,
            "total_ms": _ms(self.total),
            "max_ms": _ms(self.max),
            "queries": self.queries,
            "nested_queries": self.nested,
            "task_queries": self.tasks,
            "errors": self.errors,
            "errors_exact": self.exact,
            "costliest": (
                None
                if self.costliest is None
                else [self.costliest[0], _ms(self.costliest[1]), self.costliest[2]]
            ),
            "top": [
                [calls, _ms(total), source]
                for calls, total, source in sorted(self.top, reverse=True)
            ],
        }

    def cost(self, source: str, total: int, calls: int) -> None:
        """Keep ``source`` if the receiver cost the most there; ties go
        the same way whatever the order sources come in (xdist)."""
        best = self.costliest
        if best is None or (total, calls, source) > (best[1], best[2], best[0]):
            self.costliest = [source, total, calls]

    def note(self, source: str, calls: int, total: int) -> None:
        """``source`` ran the receiver ``calls`` times for ``total`` µs."""
        self.sources += 1
        self.cost(source, total, calls)
        entry = (calls, total, source)
        if len(self.top) < TOP:
            heapq.heappush(self.top, entry)
        elif entry > self.top[0]:
            heapq.heapreplace(self.top, entry)


class Totals:
    """Receivers and orphan sends summed over the documents added."""

    def __init__(self) -> None:
        self.documents = 0
        self.rows: dict[tuple[str, str], _Row] = {}
        # (signal, sender) -> [sends, sources]
        self.orphans: dict[tuple[str, str], list[int]] = {}

    def add(self, source: str, document: object) -> None:
        """Fold in the document of ``source`` (a request id, a test's id)."""
        if not isinstance(document, dict):
            return
        self.documents += 1
        details = _detailed_runs(document)
        mine: dict[tuple[str, str], list[int]] = {}  # key -> [calls, total µs]
        for position, group in enumerate(objects(document.get("groups"))):
            signal = _text(group.get("signal"))
            number = group.get("id", position)
            receivers = objects(group.get("receivers"))
            for receiver in receivers:
                name = _text(receiver.get("name"))
                key = (signal, name)
                row = self.rows.get(key) or self.rows.setdefault(key, _Row(*key))
                runs = whole(receiver.get("runs"))
                total = _us(receiver.get("total_ms"))
                row.calls += runs
                row.total += total
                row.queries += whole(receiver.get("queries"))
                row.nested += whole(receiver.get("nested_queries"))
                row.tasks += _task_queries(receiver.get("task_queries"))
                longest, failed = details.get((number, name), (None, 0))
                if longest is None:
                    longest = total // runs if runs else 0
                row.max = max(row.max, longest)
                if len(receivers) == 1:
                    row.errors += max(whole(group.get("errors")), failed)
                else:
                    row.errors += failed
                    row.exact = row.exact and not whole(group.get("errors"))
                sums = mine.setdefault(key, [0, 0])
                sums[0] += runs
                sums[1] += total
        for key, (calls, total) in mine.items():
            self.rows[key].note(source, calls, total)
        seen: set[tuple[str, str]] = set()
        for orphan in objects(document.get("orphans")):
            key = (_text(orphan.get("signal")), _text(orphan.get("sender")))
            sums = self.orphans.setdefault(key, [0, 0])
            sums[0] += whole(orphan.get("count"))
            if key not in seen:
                seen.add(key)
                sums[1] += 1

    def to_json(self) -> dict[str, Any]:
        """Everything, JSON-native: ``merge`` reads it back."""
        return {
            "documents": self.documents,
            "receivers": [row.to_json() for row in self.rows.values()],
            "orphans": [
                {"signal": s, "sender": snd, "count": c, "sources": n}
                for (s, snd), (c, n) in self.orphans.items()
            ],
        }

    def merge(self, other: object) -> None:
        """Add another ``Totals``' ``to_json()`` (of other sources)."""
        if not isinstance(other, dict):
            return
        self.documents += whole(other.get("documents"))
        for data in objects(other.get("receivers")):
            key = (_text(data.get("signal")), _text(data.get("receiver")))
            row = self.rows.get(key) or self.rows.setdefault(key, _Row(*key))
            row.calls += whole(data.get("calls"))
            row.sources += whole(data.get("sources"))
            row.total += _us(data.get("total_ms"))
            row.max = max(row.max, _us(data.get("max_ms")))
            row.queries += whole(data.get("queries"))
            row.nested += whole(data.get("nested_queries"))
            row.tasks += whole(data.get("task_queries"))
            row.errors += whole(data.get("errors"))
            row.exact = row.exact and data.get("errors_exact") is not False
            costliest = data.get("costliest")
            if isinstance(costliest, list) and len(costliest) == 3:
                source, total, calls = costliest
                row.cost(str(source), _us(total), whole(calls))
            for entry in data.get("top") or ():
                if isinstance(entry, list) and len(entry) == 3:
                    top = (whole(entry[0]), _us(entry[1]), str(entry[2]))
                    heapq.heappush(row.top, top)
                    if len(row.top) > TOP:
                        heapq.heappop(row.top)
        for data in objects(other.get("orphans")):
            key = (_text(data.get("signal")), _text(data.get("sender")))
            sums = self.orphans.setdefault(key, [0, 0])
            sums[0] += whole(data.get("count"))
            sums[1] += whole(data.get("sources"))

    def summary(
        self, owner: Callable[[str], dict[str, Any]] = owner_of
    ) -> dict[str, Any]:
        """The rows to show: receivers by total time, the slowest first, each
        with its mean and whose code it is; orphan sends, the most frequent
        first."""
        receivers = []
        for row in sorted(
            self.rows.values(), key=lambda r: (-r.total, -r.calls, r.signal, r.receiver)
        ):
            data = row.to_json()
            data["mean_ms"] = _ms(row.total / row.calls) if row.calls else 0.0
            data["owner"] = _owner(owner, row.receiver)
            receivers.append(data)
        orphans = sorted(
            self.to_json()["orphans"],
            key=lambda o: (-o["count"], o["signal"], o["sender"]),
        )
        return {"documents": self.documents, "receivers": receivers, "orphans": orphans}


def across(
    documents: Iterable[tuple[str, object]],
    owner: Callable[[str], dict[str, Any]] = owner_of,
) -> dict[str, Any]:
    """``Totals.summary()`` of ``(source, document)`` pairs."""
    totals = Totals()
    for source, document in documents:
        totals.add(source, document)
    return totals.summary(owner)


def _owner(owner: Callable[[str], dict[str, Any]], name: str) -> dict[str, Any] | None:
    try:
        return owner(name) if name else None
    except Exception:  # A name that no longer imports: unknown.
        return None


def _detailed_runs(document: Document) -> dict[tuple[object, str], tuple[int, int]]:
    """(group, receiver) -> (its longest run in µs, its failed runs) in the
    dispatches kept in detail."""
    found: dict[tuple[object, str], tuple[int, int]] = {}
    for dispatch in objects(document.get("dispatches")):
        group = dispatch.get("group")
        for call in objects(dispatch.get("receivers")):
            key = (group, _text(call.get("name")))
            longest, failed = found.get(key, (0, 0))
            found[key] = (
                max(longest, _us(call.get("duration_ms"))),
                failed + (call.get("error") is not None),
            )
    return found
