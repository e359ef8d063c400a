"""Render a stats document (live or from the store) as the panel's HTML.

Everything here is derived from the stats document alone: the History panel
re-renders old requests from the store with nothing else. The template gets
plain values and preformatted geometry strings (percentages for the SVG
timeline), so it never needs inline styles and never localizes a number that
ends up in an attribute.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from signal_panel.describe import signal_family
from signal_panel.stats import VERSION

TEMPLATE = "signal_panel/panel.html"

REQUEST_STARTED = "django.core.signals.request_started"
REQUEST_FINISHED = "django.core.signals.request_finished"

# Families in the order their toggles are shown; the noisy ones start hidden.
FAMILIES = (
    "request",
    "model",
    "database",
    "auth",
    "framework",
    "custom",
    "third-party",
)
HIDDEN_BY_DEFAULT = frozenset({"framework"})
# Default threshold of the "only slow" filter, in milliseconds.
SLOW_MS = 1.0
# Repeats of a group fold under its first dispatch from this many on; fewer
# (a pre_add and its post_add) stay in view.
FOLD_FROM = 2
# Deepest nesting given its own indentation step.
MAX_DEPTH = 8
# Narrowest bar drawn, in percent of the timeline, so that 5 µs stays visible.
MIN_BAR = 0.25
MIN_SUB_BAR = 0.15
UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")


def render_content(
    stats: dict[str, Any],
    panel_id: str = "SignalPanel",
    request_id: str | None = None,
) -> str:
    return render_to_string(TEMPLATE, build_context(stats, panel_id, request_id))


def build_context(
    stats: dict[str, Any],
    panel_id: str = "SignalPanel",
    request_id: str | None = None,
) -> dict[str, Any]:
    """Everything the template needs, derived from the stored stats alone."""
    if stats.get("version") != VERSION:
        return {
            "unsupported": True,
            "version": stats.get("version"),
            "panel_id": panel_id,
        }
    dispatches = [d for d in stats.get("dispatches") or () if isinstance(d, dict)]
    summary = stats.get("summary") or {}
    groups = [g for g in stats.get("groups") or () if isinstance(g, dict)]
    editor_url = (stats.get("settings") or {}).get("editor_url")

    end = _number(summary.get("span_ms"))
    for dispatch in dispatches:
        end = max(end, _end(dispatch))
        for call in dispatch.get("receivers") or ():
            end = max(end, _end(call))
    scale = max(end, 0.001)

    def pct(ms: Any) -> float:
        return min(max(100 * _number(ms) / scale, 0.0), 100.0)

    rows = _rows(dispatches, groups, pct, editor_url)
    markers = [
        {"name": row["short_name"], "x": f"{row['x_pct']:.3f}%"}
        for row in rows
        if row["anchor"]
    ]
    for row in rows:
        row["markers"] = markers

    counts = {family: 0 for family in FAMILIES}
    for row in rows:
        counts[row["family"]] = counts.get(row["family"], 0) + 1
    families = [
        {
            "name": family,
            "count": count,
            "shown": family not in HIDDEN_BY_DEFAULT,
        }
        for family, count in counts.items()
        if count
    ]

    queries = summary.get("queries")
    if not isinstance(queries, int):
        queries = sum(
            _number(receiver.get("queries"))
            for group in groups
            for receiver in group.get("receivers") or ()
        )
    registry = stats.get("registry")
    return {
        "panel_id": panel_id,
        "request_id": request_id or "",
        "json_id": f"{panel_id}-stats",
        "stats": stats,
        "summary": summary,
        "receiver_queries": int(queries),
        "dispatches": rows,
        "families": families,
        "hidden_by_default": sum(counts.get(family, 0) for family in HIDDEN_BY_DEFAULT),
        "slow_ms": SLOW_MS,
        "groups": _groups(groups),
        "orphans": stats.get("orphans") or [],
        "failures": stats.get("failures") or [],
        "span_ms": end,
        "ticks": _ticks(end),
        "markers": markers,
        "registry": _registry(registry, editor_url)
        if isinstance(registry, list)
        else None,
    }


def _rows(
    dispatches: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    pct: Any,
    editor_url: str | None,
) -> list[dict[str, Any]]:
    group_info = {group.get("id"): group for group in groups}
    by_id = {d.get("id"): d for d in dispatches}
    children: dict[Any, int] = {}
    kept: dict[Any, int] = {}
    for dispatch in dispatches:
        parent = dispatch.get("parent")
        if parent is not None:
            children[parent] = children.get(parent, 0) + 1
        kept[dispatch.get("group")] = kept.get(dispatch.get("group"), 0) + 1

    depth: dict[Any, int] = {}
    collapse: dict[Any, tuple[Any, ...]] = {}
    leads: dict[Any, dict[str, Any]] = {}
    rows = []
    for dispatch in dispatches:
        ident = dispatch.get("id")
        parent = dispatch.get("parent")
        # A parent that was not kept in detail still indents its child.
        level = depth[parent] + 1 if parent in depth else int(parent is not None)
        depth[ident] = level

        signal = str(dispatch.get("signal") or "")
        sender = str(dispatch.get("sender") or "")
        family = dispatch.get("family") or signal_family(signal)
        receivers = [r for r in dispatch.get("receivers") or () if isinstance(r, dict)]
        not_called = [
            n if isinstance(n, dict) else {"name": str(n), "reason": ""}
            for n in dispatch.get("not_called") or ()
        ]
        has_error = bool(
            dispatch.get("error") or any(r.get("error") for r in receivers)
        )

        group_id = dispatch.get("group")
        lead = leads.get(group_id)
        repeat = lead is not None
        if lead is None:
            leads[group_id] = row_lead = {"repeats": 0, "folded": 0}
        else:
            row_lead = lead
            lead["repeats"] += 1
        # Errors never fold away, so "only with errors" never misses one.
        folds = repeat and not has_error and kept[group_id] > FOLD_FROM
        own = (group_id,) if folds else ()
        if folds:
            row_lead["folded"] += 1
        collapse[ident] = own + collapse.get(parent, ())

        calls = [_call(call, pct) for call in receivers]
        query_count = sum(call["query_count"] for call in calls)
        start = _number(dispatch.get("start_ms"))
        duration = _number(dispatch.get("duration_ms"))
        x, width = _bar(pct, start, duration, MIN_BAR)
        call_site = dispatch.get("call_site")
        if not (isinstance(call_site, list | tuple) and len(call_site) >= 3):
            call_site = None
        parent_dispatch = by_id.get(parent) if parent is not None else None
        group = group_info.get(group_id) or {}
        anchor = signal in (REQUEST_STARTED, REQUEST_FINISHED)
        search = " ".join(
            [
                signal,
                sender,
                str(dispatch.get("method") or ""),
                family,
                *(call["name"] for call in calls),
                *(str(n.get("name", "")) for n in not_called),
            ]
        ).lower()
        rows.append(
            {
                **dispatch,
                "signal": signal,
                "sender": sender,
                "sender_html": breakable(sender),
                "family": family,
                "short_name": signal.rsplit(".", 1)[-1],
                "module": signal.rsplit(".", 1)[0] if "." in signal else "",
                "depth": level,
                "depth_class": min(level, MAX_DEPTH),
                "has_error": has_error,
                "anchor": anchor,
                "repeat": repeat,
                "lead": row_lead if not repeat else None,
                "collapse": " ".join(str(g) for g in collapse[ident]),
                "children": children.get(ident, 0),
                "parent_signal": parent_dispatch.get("signal")
                if parent_dispatch
                else None,
                "group_info": group,
                "receivers": calls,
                "not_called": not_called,
                "query_count": query_count,
                "search": search,
                "call_site": call_site,
                "call_site_url": _editor_link(editor_url, call_site)
                if call_site
                else None,
                "x_pct": x,
                "x": f"{x:.3f}%",
                "width": f"{width:.3f}%",
                "error_frames": _frames((dispatch.get("error") or {}), editor_url),
            }
        )
        for call in calls:
            call["frames"] = _frames(call["error"] or {}, editor_url)
    for row in rows:
        lead = row["lead"]
        if lead is not None:
            group = row["group_info"]
            row["repeats"] = lead["repeats"]
            row["folded"] = lead["folded"]
            row["group_count"] = int(_number(group.get("count"))) or 1
            row["not_kept"] = max(row["group_count"] - 1 - lead["repeats"], 0)
    return rows


def _call(call: dict[str, Any], pct: Any) -> dict[str, Any]:
    queries = [q for q in call.get("queries") or () if isinstance(q, dict)]
    start = _number(call.get("start_ms"))
    duration = _number(call.get("duration_ms"))
    x, width = _bar(pct, start, duration, MIN_SUB_BAR)
    nested = call.get("nested_queries")
    nested = nested if isinstance(nested, dict) else {}
    return {
        **call,
        "name": str(call.get("name") or ""),
        "name_html": breakable(call.get("name") or ""),
        "error": call.get("error") if isinstance(call.get("error"), dict) else None,
        "queries": queries,
        "query_count": int(sum(_number(q.get("count")) for q in queries)),
        "query_ms": sum(_number(q.get("time_ms")) for q in queries),
        "nested_query_count": int(_number(nested.get("count"))),
        "nested_query_ms": _number(nested.get("time_ms")),
        "x": f"{x:.3f}%",
        "width": f"{width:.3f}%",
    }


def _frames(error: dict[str, Any], editor_url: str | None) -> list[dict[str, Any]]:
    frames = []
    for frame in error.get("traceback") or ():
        if not isinstance(frame, list | tuple) or len(frame) < 3:
            continue
        frames.append(
            {
                "file": frame[0],
                "line": frame[1],
                "function": frame[2],
                "code": frame[3] if len(frame) > 3 else "",
                "url": _editor_link(editor_url, frame),
            }
        )
    return frames


def _groups(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                **group,
                "family": signal_family(str(group.get("signal") or "")),
                "signal_html": breakable(group.get("signal") or ""),
                "sender_html": breakable(group.get("sender") or ""),
                "receivers": [
                    {**r, "name_html": breakable(r.get("name") or "")}
                    for r in group.get("receivers") or ()
                    if isinstance(r, dict)
                ],
            }
            for group in groups
        ),
        key=lambda group: -_number(group.get("total_ms")),
    )


def _registry(registry: list[Any], editor_url: str | None) -> list[dict[str, Any]]:
    entries = []
    for entry in registry:
        if not isinstance(entry, dict):
            continue
        signal = str(entry.get("signal") or "")
        receivers = []
        for receiver in entry.get("receivers") or ():
            if not isinstance(receiver, dict):
                continue
            receivers.append(
                {
                    **receiver,
                    "name_html": breakable(receiver.get("name") or ""),
                    "url": _editor_link(
                        editor_url, [receiver.get("file"), receiver.get("line")]
                    ),
                }
            )
        family = entry.get("family") or signal_family(signal)
        entries.append(
            {
                **entry,
                "signal": signal,
                "signal_html": breakable(signal),
                "family": family,
                "fired": bool(entry.get("fired")),
                "receivers": receivers,
                "search": " ".join(
                    [signal, family, *(str(r.get("name") or "") for r in receivers)]
                ).lower(),
            }
        )
    return entries


def _ticks(end: float) -> list[dict[str, str]]:
    """Five labels along the time axis, 0 to the end of the request."""
    ticks = []
    for index in range(5):
        value = end * index / 4
        ticks.append(
            {
                "x": f"{index * 25}%",
                "anchor": ("start", "middle", "middle", "middle", "end")[index],
                "label": f"{value:.1f} ms" if end >= 10 else f"{value:.2f} ms",
            }
        )
    return ticks


def _editor_link(template: Any, site: Any) -> str | None:
    """``SIGNAL_PANEL["EDITOR_URL"]`` with ``{path}`` and ``{line}`` filled in.

    The path is percent-encoded, so a recorded file name cannot add a scheme,
    a query or markup; the template escapes the result once more.
    """
    if not isinstance(template, str) or not template or not site:
        return None
    if template.strip().lower().startswith(UNSAFE_SCHEMES):
        return None
    path = site[0] if len(site) > 0 else None
    if not isinstance(path, str) or not path:
        return None
    line = site[1] if len(site) > 1 else None
    line_text = (
        str(line) if isinstance(line, int) and not isinstance(line, bool) else ""
    )
    return template.replace("{path}", quote(path, safe="/:\\")).replace(
        "{line}", line_text
    )


def _bar(
    pct: Any, start: float, duration: float, minimum: float
) -> tuple[float, float]:
    """Left edge and width in percent, at least ``minimum`` wide, inside 0 to 100."""
    x = pct(start)
    width = max(pct(start + duration) - x, minimum)
    return min(x, 100.0 - width), width


def breakable(text: Any) -> SafeString:
    """``text`` escaped, with a line-break opportunity after each dot.

    Dotted names (``django.core.handlers.wsgi.WSGIHandler``) then wrap at a
    dot instead of widening the table. Each part is escaped before the
    ``<wbr>`` tags are added, so the result is safe for any recorded value.
    """
    return mark_safe(".<wbr>".join(str(escape(part)) for part in str(text).split(".")))


def _end(item: dict[str, Any]) -> float:
    return _number(item.get("start_ms")) + _number(item.get("duration_ms"))


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)
