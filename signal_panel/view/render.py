"""Render a stats document (live or from the store) as the panel's HTML.

Everything is derived from the stats document alone: the History panel
re-renders old requests from the store with nothing else. Three steps:

1. The view model (:mod:`signal_panel.view.model`, :mod:`~signal_panel.view.rows`,
   :mod:`~signal_panel.view.tables`, :mod:`~signal_panel.view.findings`):
   plain, typed data read from the document, with the timeline's geometry as
   percentages, so that no inline style is ever needed and no number in an
   attribute is localized.
2. The markup repeated for each dispatch (its timeline lane, its table row
   and its details: ``markup.dispatch_rows`` and ``markup.details``, sharing
   ``markup.shared``): Django's ``format_html`` with literal format strings,
   which passes every value through ``conditional_escape``. Django's template
   engine took about 100 µs per row here; a page can have hundreds.
3. The page (``templates/signal_panel/panel.html`` and the partials it
   includes: the findings, the Groups and Registry tabs): Django's template
   engine, with autoescaping and whole-sentence translations; it places the
   markup of step 2, which is a ``SafeString`` only because ``format_html``
   made it.

Nothing here calls ``mark_safe`` on a string built from data
(``tests/view/test_safe_html.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from signal_panel.analysis.reading import items, mapping, number, objects, whole
from signal_panel.analysis.stats import READABLE
from signal_panel.view.findings import Finding, findings_in
from signal_panel.view.markup.dispatch_rows import dispatch_table_rows, lanes
from signal_panel.view.markup.shared import Labels, slow_filter
from signal_panel.view.model import Family, Scale, Sources, Tick, families, text
from signal_panel.view.rows import DispatchRow, dispatch_rows
from signal_panel.view.tables import (
    GroupRow,
    OrphanRow,
    RegistryEntry,
    groups_in,
    orphans_in,
    registry_in,
)

TEMPLATE = "signal_panel/panel.html"
# Default threshold of the "only slow" filter, in milliseconds.
SLOW_MS = 1.0


@dataclass(slots=True)
class Summary:
    """The request's totals, shown above the tabs."""

    dispatches: int  # sends that reached a receiver, kept in detail or not
    receivers: int
    receiver_time_ms: float
    queries: int
    errors: int
    orphans: int  # sends that found no receiver
    dropped: int
    span_ms: float | None  # None while the request is still running
    gc_ms: float | None  # garbage-collector pauses; None if not recorded
    request_finished: bool
    # Threads started in it still running when it ended, how many still ran
    # when the document was stored, and the sends they made after (not
    # recorded); 0 in older documents.
    threads_at_end: int
    threads_running: int
    threads_awaited: bool  # the panel stores it again when they are done
    after_end: int

    @classmethod
    def of(cls, summary: Mapping[str, Any], groups: list[GroupRow]) -> Summary:
        queries = summary.get("queries")
        if not isinstance(queries, int) or isinstance(queries, bool):
            # Older documents: the receivers' queries, summed over the groups.
            queries = sum(
                receiver.queries for group in groups for receiver in group.receivers
            )
        span = summary.get("span_ms")
        gc = summary.get("gc_ms")
        return cls(
            dispatches=whole(summary.get("dispatches")),
            receivers=whole(summary.get("receivers")),
            receiver_time_ms=number(summary.get("receiver_time_ms")),
            queries=queries,
            errors=whole(summary.get("errors")),
            orphans=whole(summary.get("orphans")),
            dropped=whole(summary.get("dropped")),
            span_ms=None if span is None else number(span),
            gc_ms=None if gc is None else number(gc),
            request_finished=bool(summary.get("request_finished")),
            threads_at_end=whole(summary.get("threads_at_end")),
            threads_running=whole(summary.get("threads_running")),
            threads_awaited=summary.get("threads_awaited") is True,
            after_end=whole(summary.get("after_end")),
        )


class PanelContext(TypedDict):
    """What ``panel.html`` renders for a document of this version."""

    panel_id: str
    request_id: str
    json_id: str
    stats: Mapping[str, Any]
    summary: Summary
    failures: list[str]
    findings: list[Finding]
    # The project's own findings (and those whose owner is not said), then
    # those in installed packages' code, and the names of those packages.
    own_findings: list[Finding]
    installed_findings: list[Finding]
    installed_owners: list[str]
    instrumentation: str
    instrumentation_note: str
    dispatches: list[DispatchRow]
    families: list[Family]
    hidden_by_default: int
    slow_ms: float
    span_ms: float
    ticks: list[Tick]
    lanes_html: SafeString
    slow_filter_html: SafeString
    rows_html: SafeString
    groups: list[GroupRow]
    orphans: list[OrphanRow]
    registry: list[RegistryEntry] | None
    # The registry is the process's of now: the request's own is no longer
    # stored (stored_registry.with_registry).
    registry_now: bool
    nav_subtitle: str
    # Only the summary stored so far: the rest is built after request_finished.
    details_pending: bool
    # URLs of the "Across requests" tab (SignalPanel.links): its content,
    # the History panel's switch, the toolbar's script.
    links: Mapping[str, str]


class UnsupportedContext(TypedDict):
    """What ``panel.html`` renders for a document of another version: a note."""

    unsupported: bool
    version: str
    panel_id: str


def render_content(
    stats: Mapping[str, Any],
    panel_id: str = "SignalPanel",
    request_id: str | None = None,
    links: Mapping[str, str] | None = None,
) -> str:
    context = build_context(stats, panel_id, request_id, links)
    html: str = render_to_string(TEMPLATE, context)
    return html


def build_context(
    stats: Mapping[str, Any],
    panel_id: str = "SignalPanel",
    request_id: str | None = None,
    links: Mapping[str, str] | None = None,
) -> PanelContext | UnsupportedContext:
    """Everything the template needs, derived from the stored stats alone."""
    if stats.get("version") not in READABLE:
        return {
            "unsupported": True,
            "version": text(stats.get("version")),
            "panel_id": panel_id,
        }
    sources = Sources.of(stats)
    scale = Scale.of(stats)
    groups = groups_in(stats)
    by_id = {group.id: group for group in groups}
    rows = dispatch_rows(objects(stats.get("dispatches")), by_id, scale, sources)
    shown = families(row.family for row in rows)
    registry = registry_in(stats, sources)
    findings = findings_in(stats, {row.id: row.short_name for row in rows}, registry)
    installed = [finding for finding in findings if finding.installed]
    labels = Labels()
    instrumentation = text(stats.get("instrumentation"))
    return {
        "panel_id": panel_id,
        "request_id": request_id or "",
        "json_id": f"{panel_id}-stats",
        "stats": stats,
        "summary": Summary.of(mapping(stats.get("summary")), groups),
        "failures": [text(failure) for failure in items(stats.get("failures"))],
        "findings": findings,
        "own_findings": [finding for finding in findings if not finding.installed],
        "installed_findings": installed,
        "installed_owners": list(dict.fromkeys(finding.owner for finding in installed)),
        "instrumentation": instrumentation,
        "instrumentation_note": instrumentation_note(instrumentation),
        "dispatches": rows,
        "families": shown,
        "hidden_by_default": sum(f.count for f in shown if not f.shown),
        "slow_ms": SLOW_MS,
        "span_ms": scale.end_ms,
        "ticks": scale.ticks(),
        "lanes_html": lanes(rows, labels),
        "slow_filter_html": slow_filter(SLOW_MS),
        "rows_html": dispatch_table_rows(rows, labels, panel_id),
        "groups": groups,
        "orphans": orphans_in(stats),
        "registry": registry,
        "registry_now": stats.get("registry_now") is True,
        # The sidebar's line for this document: the panel's script puts it in
        # the sidebar, which the toolbar rendered before request_finished.
        "nav_subtitle": nav_subtitle(stats),
        # What the panel stores with the response (see SignalPanel.generate_stats).
        "details_pending": "dispatches" not in stats
        and bool(mapping(stats.get("summary")))
        and not mapping(stats.get("summary")).get("request_finished"),
        "links": links or {},
    }


def instrumentation_note(mode: str) -> str:
    """What the way ``Signal`` was instrumented means for the receivers
    (``docs/compatibility.md``, "What a receiver sees of its callers")."""
    notes: dict[str, str] = {
        "compiled": _(
            "compiled copies of Django's send methods: receivers ran under"
            " exactly Django's frames."
        ),
        "mixed": _(
            "compiled copies, and for the send methods that could not be"
            " compiled, probes: those receivers saw one of the recorder's frames"
            " between Django and themselves."
        ),
        "wrappers": _(
            'plain wrappers (INSTRUMENTATION = "wrappers", or Django\'s methods'
            " could not be compiled): receivers saw the recorder's frames between"
            " Django and themselves, so stacklevel counts one or two more."
        ),
    }
    return notes.get(mode, "")


def nav_subtitle(stats: Mapping[str, Any]) -> str:
    """The toolbar's sidebar line, e.g. "14 dispatches · 9 receivers · 3.20 ms".

    The toolbar renders it with the page, before ``request_finished`` is
    sent: the figures of such a document are said to stop at the response,
    so that they never silently disagree with the panel's. Tolerant of any
    document (the History panel renders old ones).
    """
    if not stats:
        return ""
    summary = mapping(stats.get("summary"))
    dispatches = whole(summary.get("dispatches"))
    receivers = whole(summary.get("receivers"))
    errors = whole(summary.get("errors"))
    parts = [
        ngettext("%(count)s dispatch", "%(count)s dispatches", dispatches)
        % {"count": dispatches},
        ngettext("%(count)s receiver", "%(count)s receivers", receivers)
        % {"count": receivers},
        # As the panel's card shows it (floatformat rounds the decimal half
        # up; a float's own formatting would say 123.98 for 123.985).
        f"{floatformat(number(summary.get('receiver_time_ms')), 2)} ms",
    ]
    if errors:
        parts.append(
            ngettext("%(count)s error", "%(count)s errors", errors) % {"count": errors}
        )
    line = " · ".join(parts)
    if summary.get("request_finished"):
        return line
    partial: str = _("%(figures)s, up to the response")
    return partial % {"figures": line}
