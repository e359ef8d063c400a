"""The "Across requests" tab's HTML, from ``across``'s summary of the stored
documents: one row per receiver and signal, then the sends with no receiver.

Rendered with Django's template engine (autoescaping): a few dozen rows,
fetched only when the tab is opened. Each number cell carries its raw value
for the script's re-sorting, unlocalized.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from signal_panel.analysis.reading import mapping, number, objects, whole
from signal_panel.sources.owners import describe_owner
from signal_panel.view.model import text

TEMPLATE = "signal_panel/across.html"


@dataclass(slots=True)
class AcrossRow:
    """One receiver of one signal, over every stored request."""

    signal: str
    receiver: str
    owner_kind: str  # project | package | django | python | toolbar | ""
    owner: str  # "your project", "pagesearch 1.4.2", ...
    calls: int
    requests: int
    total_ms: float
    mean_ms: float
    max_ms: float
    queries: int
    errors: int
    errors_exact: bool
    costliest_id: str  # the request where it cost the most
    costliest_label: str  # "GET /shop/" if the History panel stored it
    costliest_ms: float
    search: str


@dataclass(slots=True)
class AcrossOrphan:
    signal: str
    sender: str
    count: int
    requests: int
    search: str


def rows_in(summary: Mapping[str, Any], labels: Mapping[str, str]) -> list[AcrossRow]:
    rows = []
    for data in objects(summary.get("receivers")):
        owner = data.get("owner")
        costliest = data.get("costliest")
        source, cost = "", 0.0
        if isinstance(costliest, list) and len(costliest) == 3:
            source, cost = text(costliest[0]), number(costliest[1])
        signal, receiver = text(data.get("signal")), text(data.get("receiver"))
        rows.append(
            AcrossRow(
                signal=signal,
                receiver=receiver,
                owner_kind=text(mapping(owner).get("kind")),
                owner=describe_owner(owner) if isinstance(owner, dict) else "",
                calls=whole(data.get("calls")),
                requests=whole(data.get("sources")),
                total_ms=number(data.get("total_ms")),
                mean_ms=number(data.get("mean_ms")),
                max_ms=number(data.get("max_ms")),
                queries=whole(data.get("queries")),
                errors=whole(data.get("errors")),
                errors_exact=data.get("errors_exact") is not False,
                costliest_id=source,
                costliest_label=labels.get(source, ""),
                costliest_ms=cost,
                search=f"{signal} {receiver}".lower(),
            )
        )
    return rows


def across_orphans_in(summary: Mapping[str, Any]) -> list[AcrossOrphan]:
    found = []
    for data in objects(summary.get("orphans")):
        signal, sender = text(data.get("signal")), text(data.get("sender"))
        found.append(
            AcrossOrphan(
                signal=signal,
                sender=sender,
                count=whole(data.get("count")),
                requests=whole(data.get("sources")),
                search=f"{signal} {sender}".lower(),
            )
        )
    return found


def render_across(
    summary: Mapping[str, Any],
    labels: Mapping[str, str],
    stored: int,
    current: str = "",
    switch: bool = True,
) -> str:
    """The tab's content: ``summary`` of the documents of the ``stored``
    requests the toolbar keeps; ``labels`` names requests ("GET /shop/")."""
    rows = rows_in(summary, labels)
    html: str = render_to_string(
        TEMPLATE,
        {
            "requests": whole(summary.get("documents")),
            "stored": stored,
            "rows": rows,
            "orphans": across_orphans_in(summary),
            "current": current,
            "switch": switch,
            "inexact": any(not row.errors_exact for row in rows),
        },
    )
    return html
