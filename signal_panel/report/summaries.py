"""The blocks around the tree: the summary line, the findings, groups beyond
the detail cap, sends with no receivers, the recorder's failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signal_panel.analysis.reading import finite, whole
from signal_panel.analysis.stats import READABLE, VERSION
from signal_panel.report.document import ReportData, ms_text, receivers_of
from signal_panel.report.lines import Line, Part, clean, columns, plural
from signal_panel.report.tree import signal_and_sender

# Lines listed per summary block (groups beyond the cap, orphans, failures).
MAX_LISTED = 10
TIMES = "\N{MULTIPLICATION SIGN}"


def version_note(document: ReportData) -> list[Line]:
    if document.version is None or document.version in READABLE:
        return []
    return [
        [
            Part(
                f"(a version {clean(document.version)} stats document; this "
                f"signal_panel reads version {VERSION}: shown as far as understood)",
                "warning",
                "wrap",
            )
        ]
    ]


def summary(document: ReportData) -> list[Line]:
    numbers = document.summary
    dispatches = whole(numbers.get("dispatches"), len(document.dispatches))
    detailed = whole(numbers.get("detailed"), len(document.dispatches))
    queries = whole(
        numbers.get("queries"),
        sum(whole(r.get("queries")) for g in document.groups for r in receivers_of(g)),
    )
    items = [plural(dispatches, "dispatch", "dispatches")]
    if detailed != dispatches:
        items[0] += f" ({detailed} in detail)"
    if dispatches:
        runs = plural(whole(numbers.get("receivers")), "receiver")
        took = ms_text(numbers.get("receiver_time_ms"))
        items.append(f"{runs} taking {took} ms" if took is not None else runs)
        items.append(plural(queries, "query", "queries"))
    errors = whole(numbers.get("errors"))
    if errors:
        items.append(plural(errors, "error"))
    orphans = whole(numbers.get("orphans"))
    if orphans:
        items.append(plural(orphans, "send") + " with no receivers")
    span = ms_text(numbers.get("span_ms"))
    if span is not None:
        items.append(f"{span} ms in all")
    # Threads started inside the recording that outlived it (recorder.threads).
    running = whole(numbers.get("threads_at_end"))
    if running:
        items.append(plural(running, "thread") + " still running at the end")
    still = whole(numbers.get("threads_running"))
    if still:
        items.append(f"{still} still running now")
    after_end = whole(numbers.get("after_end"))
    if after_end:
        items.append(f"after the recording ended: {plural(after_end, 'send')}")
    if not dispatches and not orphans and not after_end:
        return [[Part("No signal was sent.", "title")]]
    # Wrapped at the commas, not cut: every number counts.
    lines = [f"Signals: {items[0]}"]
    for item in items[1:]:
        if columns(lines[-1]) + 2 + columns(item) + 1 > document.width:
            lines[-1] += ","
            lines.append(f"  {item}")
        else:
            lines[-1] += f", {item}"
    return [[Part(text, "title", "end")] for text in lines]


def findings_block(document: ReportData) -> list[Line]:
    """The classic mistakes found (``stats["findings"]``): a title row, then
    the detail and the fix, wrapped, never cut. Those in installed packages
    (an ``owner`` of kind ``package`` or ``django``) come after the
    project's own, under a heading of their own."""
    found = [f for f in document.findings if clean(f.get("title"))]
    if not found:
        return []
    own = [f for f in found if _owner_kind(f) not in INSTALLED]
    installed = [f for f in found if _owner_kind(f) in INSTALLED]
    lines = [[Part(f"Findings ({len(found)}):", "warning")]]
    for finding in own:
        lines.extend(_finding(finding))
    if installed:
        lines.append([Part("  In installed packages:", "title")])
        for finding in installed:
            lines.extend(_finding(finding))
    return lines


# Owners of a finding's code that are not the project's own.
INSTALLED = ("package", "django")


def _owner_kind(finding: Mapping[str, Any]) -> str:
    owner = finding.get("owner")
    return clean(owner.get("kind")) if isinstance(owner, Mapping) else ""


def _finding(finding: Mapping[str, Any]) -> list[Line]:
    title = clean(finding.get("title"))
    owner = finding.get("owner")
    if isinstance(owner, Mapping) and _owner_kind(finding) in INSTALLED:
        where = " ".join(
            clean(owner.get(key))
            for key in ("distribution", "version")
            if owner.get(key)
        )
        title += f" ({where})" if where else ""
    lines = [[Part("  ! ", "warning"), Part(title, "title", "wrap")]]
    detail = clean(finding.get("detail"))
    if detail:
        lines.append([Part("      "), Part(detail, None, "wrap")])
    fix = clean(finding.get("fix"))
    if fix:
        lines.append([Part("      fix: ", "muted"), Part(fix, None, "wrap")])
    return lines


def beyond_cap(document: ReportData) -> list[Line]:
    """Groups with more dispatches than were kept in detail, slowest first:
    their numbers (sends, kept in detail, total and slowest time, errors if
    any), then the signal and sender."""
    groups = [
        g
        for g in document.groups
        if whole(g.get("count")) > whole(g.get("detailed"), whole(g.get("count")))
    ]
    if not groups:
        return []
    groups.sort(key=lambda g: -(finite(g.get("total_ms")) or 0.0))
    listed = groups[:MAX_LISTED]
    any_errors = any(whole(g.get("errors")) for g in listed)
    headings = ("sends", "kept", "total ms", "max ms") + (("errors",) * any_errors)
    cells = [
        (
            str(whole(g.get("count"))),
            str(whole(g.get("detailed"))),
            ms_text(g.get("total_ms")) or "",
            ms_text(g.get("max_ms")) or "",
        )
        + ((str(whole(g.get("errors"))),) * any_errors)
        for g in listed
    ]
    widths = [
        max(len(name), *(len(row[i]) for row in cells))
        for i, name in enumerate(headings)
    ]
    header = "  ".join(
        f"{name:>{width}}" for name, width in zip(headings, widths, strict=True)
    )
    lines = [
        [Part("Counted only, beyond the detail cap:", "title")],
        [Part(f"  {header}", "muted")],
    ]
    for group, row in zip(listed, cells, strict=True):
        numbers = "  ".join(
            f"{cell:>{width}}" for cell, width in zip(row, widths, strict=True)
        )
        style = "error" if whole(group.get("errors")) else "time"
        lines.append([Part(f"  {numbers}  ", style), *signal_and_sender(group)])
    lines.extend(_more(len(groups)))
    return lines


def orphans(document: ReportData) -> list[Line]:
    """Sends that found no receiver: one line per signal, most frequent first."""
    by_signal: dict[str, dict[str, int]] = {}
    for orphan in document.orphans:
        senders = by_signal.setdefault(clean(orphan.get("signal")) or "?", {})
        # Senders alike in name (e.g. the models migrations build) add up.
        sender = clean(orphan.get("sender"))
        senders[sender] = senders.get(sender, 0) + whole(orphan.get("count"))
    if not by_signal:
        return []
    ranked = sorted(by_signal.items(), key=lambda item: -sum(item[1].values()))
    lines = [[Part("Sent with no receivers:", "title")]]
    for signal, senders in ranked[:MAX_LISTED]:
        total = sum(senders.values())
        listed = sorted(senders.items(), key=lambda item: -item[1])
        lines.append(
            [
                Part("  "),
                Part(signal, "signal", "name"),
                Part(f"  {plural(total, 'send')}: ", "muted"),
                Part(
                    ", ".join(f"{name} {TIMES}{count}" for name, count in listed),
                    None,
                    "end",
                ),
            ]
        )
    lines.extend(_more(len(ranked)))
    return lines


def failures(document: ReportData) -> list[Line]:
    if not document.failures:
        return []
    lines = [
        [
            Part(
                "The recording is incomplete: the recorder failed "
                f"{plural(len(document.failures), 'time')} "
                "(the recorded code was not affected):",
                "error",
                "wrap",
            )
        ]
    ]
    for failure in document.failures[:MAX_LISTED]:
        lines.append([Part("  "), Part(failure, "error", "wrap")])
    lines.extend(_more(len(document.failures)))
    return lines


def _more(total: int) -> list[Line]:
    if total <= MAX_LISTED:
        return []
    return [[Part(f"  … and {total - MAX_LISTED} more", "muted")]]
