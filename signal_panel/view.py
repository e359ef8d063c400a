"""Render a stats document (live or from the store) as the panel's HTML."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from signal_panel.stats import VERSION

TEMPLATE = "signal_panel/panel.html"


def render_content(stats: dict[str, Any], panel_id: str = "SignalPanel") -> str:
    return render_to_string(TEMPLATE, build_context(stats, panel_id))


def build_context(
    stats: dict[str, Any], panel_id: str = "SignalPanel"
) -> dict[str, Any]:
    """Everything the template needs, derived from the stored stats alone."""
    if stats.get("version") != VERSION:
        return {"unsupported": True, "version": stats.get("version")}
    dispatches = stats.get("dispatches") or []
    summary = stats.get("summary") or {}
    span = summary.get("span_ms") or max(
        (d["start_ms"] + d["duration_ms"] for d in dispatches), default=0.0
    )
    span = max(span, 0.001)
    depth: dict[int, int] = {}
    rows = []
    for dispatch in dispatches:
        parent = dispatch.get("parent")
        level = depth[parent] + 1 if parent in depth else 0
        depth[dispatch["id"]] = level
        rows.append(
            {
                **dispatch,
                "depth": level,
                "indent": level * 1.25,
                "has_error": bool(
                    dispatch.get("error")
                    or any(r.get("error") for r in dispatch.get("receivers") or ())
                ),
                "bar_left": round(100 * dispatch["start_ms"] / span, 3),
                "bar_width": max(round(100 * dispatch["duration_ms"] / span, 3), 0.2),
                "kind": dispatch.get("family", "custom"),
            }
        )
    return {
        "panel_id": panel_id,
        "summary": summary,
        "dispatches": rows,
        "groups": stats.get("groups") or [],
        "orphans": stats.get("orphans") or [],
        "failures": stats.get("failures") or [],
        "span_ms": span,
    }
