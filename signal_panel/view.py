"""Render a stats document (live or from the store) as the panel's HTML.

Everything here is derived from the stats document alone: the History panel
re-renders old requests from the store with nothing else. Geometry is
preformatted as percentages for the SVG timeline, so no inline style is ever
needed and no number in an attribute is localized.

The template renders the page's structure; the markup repeated per dispatch
(a timeline lane, a table row and its details) is built here by
:class:`Markup`, every recorded value through ``conditional_escape``: the
template engine took seconds for a few hundred dispatches.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from django.template.loader import render_to_string
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from signal_panel.describe import signal_family
from signal_panel.stats import VERSION

TEMPLATE = "signal_panel/panel.html"


def escape(value: Any) -> str:
    """HTML-escape ``str(value)``: ``&``, ``<``, ``>``, ``"`` and ``'``.

    What ``django.utils.html.escape`` does, without its lazy-string wrapper,
    which took most of the time of building a few hundred dispatches.
    """
    return html.escape(str(value), quote=True)


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

    markup = Markup(panel_id)
    lanes_html = mark_safe(
        "".join(markup.lane(row, first=not index) for index, row in enumerate(rows))
    )
    rows_html = mark_safe("".join(markup.dispatch(row) for row in rows))
    groups = _groups(groups)
    groups_html = mark_safe("".join(markup.group(group) for group in groups))

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
        "lanes_html": lanes_html,
        "rows_html": rows_html,
        "families": families,
        "hidden_by_default": sum(counts.get(family, 0) for family in HIDDEN_BY_DEFAULT),
        "slow_ms": SLOW_MS,
        "groups": groups,
        "groups_html": groups_html,
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


class Markup:
    """The HTML of one dispatch: its timeline lane, its table row, its details.

    Every value from the stats document goes through :func:`escape` (or
    :func:`breakable`, which escapes); only the literal markup here is not.
    ``text_num`` is for text that is escaped as a whole afterwards.
    Numbers are formatted with the active locale's decimal separator, like
    the template's ``floatformat``.
    """

    def __init__(self, panel_id: str) -> None:
        self.panel_id = escape(panel_id)
        self.decimal = str(get_format("DECIMAL_SEPARATOR"))
        self.t = {
            "error": escape(gettext("error")),
            "repeat": escape(gettext("repeat")),
            "none": escape(gettext("none")),
            "in": escape(gettext("in")),
            "async": "async",
            "same": escape(
                gettext("Same signal, sender and receivers as an earlier dispatch")
            ),
            "group_count": escape(
                gettext("Sends of this signal, sender and receivers in the request")
            ),
            "signal": escape(gettext("Signal")),
            "sender": escape(gettext("Sender")),
            "sent_from": escape(gettext("Sent from")),
            "not_recorded": escape(gettext("not recorded")),
            "inside": escape(gettext("Inside")),
            "not_kept": escape(gettext("not kept in detail")),
            "nested": escape(gettext("Nested")),
            "group": escape(gettext("Group")),
            "dispatch": escape(gettext("Dispatch")),
            "kwargs": escape(gettext("Keyword arguments")),
            "no_kwargs": escape(gettext("none besides sender")),
            "called": escape(gettext("Receivers called")),
            "receiver": escape(gettext("Receiver")),
            "at": escape(gettext("At")),
            "time": escape(gettext("Time")),
            "queries": escape(gettext("Queries")),
            "returned": escape(gettext("Returned or raised")),
            "nested_queries": escape(
                gettext("Run by dispatches nested inside this receiver")
            ),
            "nested_word": escape(gettext("nested")),
            "not_called": escape(gettext("Connected but not called")),
            "raised": escape(gettext("Raised out of the send")),
            "at_word": escape(gettext("at")),
            "took_word": escape(gettext("took")),
        }
        self.tooltip_format = gettext(
            "%(signal)s — sender %(sender)s — at %(start)s ms, took %(duration)s ms"
        )
        self.error_suffix = " — " + gettext("error")
        self.details_format = gettext("Details of %(name)s #%(id)s")

    def text_num(self, value: Any, places: int) -> str:
        """``value`` with ``places`` decimals and the locale's separator."""
        text = f"{_number(value):.{places}f}"
        return text.replace(".", self.decimal) if self.decimal != "." else text

    def num(self, value: Any, places: int) -> str:
        return escape(self.text_num(value, places))

    def tooltip(self, row: dict[str, Any]) -> str:
        text = self.tooltip_format % {
            "signal": row["signal"],
            "sender": row["sender"],
            "start": self.text_num(row.get("start_ms"), 2),
            "duration": self.text_num(row.get("duration_ms"), 3),
        }
        if row["has_error"]:
            text += self.error_suffix
        return escape(text)

    def lane(self, row: dict[str, Any], first: bool = False) -> str:
        family = escape(row["family"])
        classes = f"djdt-sp-lane djdt-sp-fam-{family}"
        if row["has_error"]:
            classes += " djdt-sp-error"
        if row["anchor"]:
            classes += " djdt-sp-anchor"
        nest = (
            '<span class="djdt-sp-nest" aria-hidden="true">↳</span>'
            if row["depth"]
            else ""
        )
        markers = "".join(
            f'<line class="djdt-sp-marker" x1="{escape(m["x"])}" '
            f'x2="{escape(m["x"])}" y1="0" y2="100%"></line>'
            for m in row["markers"]
        )
        subs = []
        for call in row["receivers"]:
            error = call["error"]
            title = f"{call['name']} — {self.text_num(call.get('duration_ms'), 3)} ms"
            if error:
                title += f" — {error.get('type', '')}"
            subs.append(
                '<rect class="djdt-sp-bar-receiver'
                f'{" djdt-sp-bar-error" if error else ""}" x="{escape(call["x"])}"'
                f' y="12" width="{escape(call["width"])}" height="4">'
                f"<title>{escape(title)}</title></rect>"
            )
        return (
            f'<button type="button" class="{classes}" data-sp-id="{escape(row["id"])}"'
            f' tabindex="{0 if first else -1}" title="{self.tooltip(row)}">'
            f'<span class="djdt-sp-lane-label djdt-sp-depth-{row["depth_class"]}">'
            f'{nest}<span class="djdt-sp-lane-name">{escape(row["short_name"])}</span>'
            f' <span class="djdt-sp-lane-sender">{escape(row["sender"])}</span></span>'
            '<svg class="djdt-sp-track" xmlns="http://www.w3.org/2000/svg"'
            ' aria-hidden="true" focusable="false">'
            f"{markers}"
            f'<rect class="djdt-sp-bar-dispatch" x="{escape(row["x"])}" y="2"'
            f' width="{escape(row["width"])}" height="8" rx="1.5"></rect>'
            f"{''.join(subs)}</svg></button>"
        )

    def dispatch(self, row: dict[str, Any]) -> str:
        t = self.t
        ident = escape(row["id"])
        family = escape(row["family"])
        classes = f"djdt-sp-dispatch djdt-sp-fam-{family}"
        if row["has_error"]:
            classes += " djdt-sp-error"
        if row["anchor"]:
            classes += " djdt-sp-anchor"
        toggle_label = escape(
            self.details_format % {"name": row["short_name"], "id": row["id"]}
        )
        receivers = (
            "".join(
                '<code class="djdt-sp-receiver'
                f'{" djdt-sp-receiver-error" if call["error"] else ""}">'
                f"{call['name_html']}</code>"
                for call in row["receivers"]
            )
            or f"<em>{t['none']}</em>"
        )
        return (
            f'<div class="{classes}" role="rowgroup" data-sp-id="{ident}"'
            f' data-sp-family="{family}" data-sp-search="{escape(row["search"])}"'
            f' data-sp-ms="{_number(row.get("duration_ms")):f}"'
            f' data-sp-error="{"1" if row["has_error"] else ""}"'
            f' data-sp-collapse="{escape(row["collapse"])}">'
            f'<div id="{self.panel_id}Main_{ident}" class="djdt-sp-tr djdt-sp-row"'
            ' role="row"><span class="djdt-sp-td" role="cell">'
            '<button type="button" class="djdt-sp-toggle" aria-expanded="false"'
            f' aria-controls="{self.panel_id}Details_{ident}"'
            f' aria-label="{toggle_label}">+</button></span>'
            '<span class="djdt-sp-td djdt-sp-num" role="cell">'
            f"{self.num(row.get('start_ms'), 2)}&nbsp;ms</span>"
            '<span class="djdt-sp-td djdt-sp-num" role="cell">'
            f"{self.num(row.get('duration_ms'), 3)}&nbsp;ms</span>"
            f'<span class="djdt-sp-td djdt-sp-signal-cell" role="cell">'
            f"{self._signal_cell(row)}</span>"
            '<span class="djdt-sp-td" role="cell"><code class="djdt-sp-sender">'
            f"{row['sender_html']}</code></span>"
            f'<span class="djdt-sp-td" role="cell">{receivers}</span>'
            '<span class="djdt-sp-td djdt-sp-num" role="cell">'
            f"{row['query_count'] or ''}</span></div>"
            f'<div id="{self.panel_id}Details_{ident}" class="djdt-sp-detail-row"'
            f' role="row" data-sp-detail="{ident}">'
            f'<div class="djdt-sp-detail" role="cell">{self._detail(row)}</div>'
            "</div></div>"
        )

    def _signal_cell(self, row: dict[str, Any]) -> str:
        t = self.t
        nest = (
            '<span class="djdt-sp-nest" aria-hidden="true">↳</span>'
            if row["depth"]
            else ""
        )
        html = (
            f'<span class="djdt-sp-indent djdt-sp-depth-{row["depth_class"]}">{nest}'
            '<span class="djdt-sp-swatch" aria-hidden="true"></span>'
            f'<code class="djdt-sp-name" title="{escape(row["signal"])}">'
            f"{escape(row['short_name'])}</code>"
            f'<small class="djdt-sp-module">{escape(row["module"])}</small></span>'
        )
        method = row.get("method")
        if method and method != "send":
            html += f' <span class="djdt-sp-tag">{escape(method)}</span>'
        if row["has_error"]:
            html += f' <span class="djdt-sp-tag djdt-sp-tag-error">{t["error"]}</span>'
        if row["lead"] is not None:
            if row["group_count"] > 1:
                html += (
                    f' <span class="djdt-sp-tag" title="{t["group_count"]}">'
                    f"&times;{row['group_count']}</span>"
                )
            if row["folded"]:
                label = escape(
                    ngettext(
                        "%(count)s more like it",
                        "%(count)s more like it",
                        row["folded"],
                    )
                    % {"count": row["folded"]}
                )
                html += (
                    ' <button type="button" class="djdt-sp-repeats"'
                    f' data-sp-group="{escape(row.get("group"))}"'
                    f' aria-expanded="false">{label}</button>'
                )
        elif row["repeat"]:
            html += (
                f' <span class="djdt-sp-tag" title="{t["same"]}">{t["repeat"]}</span>'
            )
        return html

    def _detail(self, row: dict[str, Any]) -> str:
        t = self.t
        facts = [
            f"<dt>{t['signal']}</dt><dd><code>{escape(row['signal'])}</code>"
            f' <span class="djdt-sp-tag">{escape(row["family"])}</span>'
            f' <span class="djdt-sp-tag">{escape(row.get("method") or "")}</span></dd>',
            f"<dt>{t['sender']}</dt><dd><code>{escape(row['sender'])}</code></dd>",
        ]
        site = row["call_site"]
        if site:
            where = f"{site[0]}:{site[1]}"
            source = (
                f'<a class="djdt-sp-source" href="{escape(row["call_site_url"])}">'
                f"{escape(where)}</a>"
                if row["call_site_url"]
                else f'<code class="djdt-sp-source">{escape(where)}</code>'
            )
            facts.append(
                f"<dt>{t['sent_from']}</dt><dd>{source} {t['in']}"
                f" <code>{escape(site[2])}</code></dd>"
            )
        else:
            facts.append(
                f"<dt>{t['sent_from']}</dt><dd><em>{t['not_recorded']}</em></dd>"
            )
        parent = row.get("parent")
        if parent is not None:
            if row.get("parent_kept") and row["parent_signal"]:
                inside = (
                    '<button type="button" class="djdt-sp-jump"'
                    f' data-sp-target="{escape(parent)}">#{escape(parent)}'
                    f" <code>{escape(row['parent_signal'])}</code></button>"
                )
            else:
                inside = f"#{escape(parent)} ({t['not_kept']})"
            facts.append(f"<dt>{t['inside']}</dt><dd>{inside}</dd>")
        if row["children"]:
            nested = ngettext(
                "%(count)s dispatch sent by its receivers",
                "%(count)s dispatches sent by its receivers",
                row["children"],
            ) % {"count": row["children"]}
            facts.append(f"<dt>{t['nested']}</dt><dd>{escape(nested)}</dd>")
        group = row["group_info"]
        if _number(group.get("count")) > 1:
            text = gettext(
                "%(count)s sends with the same sender and receivers"
                " (%(detailed)s kept in detail): %(total)s ms in all,"
                " %(mean)s ms mean, %(max)s ms max"
            ) % {
                "count": int(_number(group.get("count"))),
                "detailed": int(_number(group.get("detailed"))),
                "total": self.text_num(group.get("total_ms"), 3),
                "mean": self.text_num(group.get("mean_ms"), 3),
                "max": self.text_num(group.get("max_ms"), 3),
            }
            facts.append(f"<dt>{t['group']}</dt><dd>{escape(text)}</dd>")
        facts.append(
            f"<dt>{t['dispatch']}</dt><dd>#{escape(row['id'])},"
            f" {t['at_word']} {self.num(row.get('start_ms'), 3)} ms,"
            f" {t['took_word']} {self.num(row.get('duration_ms'), 3)} ms</dd>"
        )
        html = f'<dl class="djdt-sp-facts">{"".join(facts)}</dl>'

        context = _pairs(row.get("model_context"))
        if context:
            chips = "".join(
                f'<span class="djdt-sp-chip"><span>{escape(key)}</span>='
                f"<code>{escape(value)}</code></span>"
                for key, value in context
            )
            html += f'<p class="djdt-sp-context">{chips}</p>'

        html += f"<h5>{t['kwargs']}</h5>"
        kwargs = _pairs(row.get("kwargs"))
        if kwargs:
            html += (
                '<table class="djdt-sp-kwargs"><tbody>'
                + "".join(
                    f'<tr><th scope="row"><code>{escape(key)}</code></th>'
                    f'<td><code class="djdt-sp-value">{escape(value)}</code></td></tr>'
                    for key, value in kwargs
                )
                + "</tbody></table>"
            )
        else:
            html += f"<p><em>{t['no_kwargs']}</em></p>"

        html += f"<h5>{t['called']}</h5>"
        if row["receivers"]:
            html += (
                '<table class="djdt-sp-calls"><thead><tr>'
                f"<th>{t['receiver']}</th><th>{t['at']}</th><th>{t['time']}</th>"
                f"<th>{t['queries']}</th><th>{t['returned']}</th></tr></thead><tbody>"
                + "".join(self._call(call) for call in row["receivers"])
                + "</tbody></table>"
            )
        else:
            html += f"<p><em>{t['none']}</em></p>"

        if row["not_called"]:
            html += (
                f"<h5>{t['not_called']}</h5>"
                '<table class="djdt-sp-not-called"><tbody>'
                + "".join(
                    f"<tr><td><code>{escape(n.get('name', ''))}</code></td>"
                    f"<td>{escape(n.get('reason', ''))}</td></tr>"
                    for n in row["not_called"]
                )
                + "</tbody></table>"
            )
        error = row.get("error")
        if isinstance(error, dict):
            html += (
                f'<h5 class="djdt-sp-error-text">{t["raised"]}</h5>'
                f'<p><strong class="djdt-sp-error-text">{escape(error.get("type", ""))}'
                f"</strong>: {escape(error.get('message', ''))}</p>"
                f"{self._traceback(row['error_frames'])}"
            )
        return html

    def _call(self, call: dict[str, Any]) -> str:
        t = self.t
        error = call["error"]
        name = call["name_html"]
        if call.get("is_async"):
            name += f' <span class="djdt-sp-tag">{t["async"]}</span>'
        queries = (
            "<br>".join(
                f"{escape(q.get('count'))} <small>({escape(q.get('alias'))},"
                f" {self.num(q.get('time_ms'), 2)} ms)</small>"
                for q in call["queries"]
            )
            or "0"
        )
        if call["nested_query_count"]:
            queries += (
                f'<br><small title="{t["nested_queries"]}">'
                f"+{call['nested_query_count']} {t['nested_word']}"
                f" ({self.num(call['nested_query_ms'], 2)} ms)</small>"
            )
        if error:
            outcome = (
                f'<strong class="djdt-sp-error-text">{escape(error.get("type", ""))}'
                f"</strong>: {escape(error.get('message', ''))}"
                f"{self._traceback(call['frames'])}"
            )
        else:
            outcome = f'<code class="djdt-sp-value">{escape(call.get("result"))}</code>'
        return (
            f'<tr class="{"djdt-sp-error" if error else ""}">'
            f"<td><code>{name}</code></td>"
            f'<td class="djdt-time">{self.num(call.get("start_ms"), 3)}&nbsp;ms</td>'
            f'<td class="djdt-time">{self.num(call.get("duration_ms"), 3)}&nbsp;ms</td>'
            f'<td class="djdt-time">{queries}</td><td>{outcome}</td></tr>'
        )

    def group(self, group: dict[str, Any]) -> str:
        """A row of the "Groups and orphans" tab."""
        receivers = "<br>".join(
            f'<code class="djdt-sp-receiver">{r["name_html"]}</code>'
            f" <small>{self.num(r.get('total_ms'), 3)} ms"
            + (
                ", "
                + escape(
                    ngettext("%(count)s query", "%(count)s queries", r["queries"])
                    % {"count": r["queries"]}
                )
                if isinstance(r.get("queries"), int) and r["queries"]
                else ""
            )
            + "</small>"
            for r in group["receivers"]
        )
        errors = group.get("errors")
        return (
            f'<tr class="djdt-sp-fam-{escape(group["family"])}'
            f'{" djdt-sp-error" if errors else ""}">'
            '<td><span class="djdt-sp-swatch" aria-hidden="true"></span>'
            f'<code class="djdt-sp-name">{group["signal_html"]}</code></td>'
            f"<td><code>{group['sender_html']}</code></td><td>{receivers}</td>"
            f'<td class="djdt-time">{escape(group.get("count", ""))}</td>'
            f'<td class="djdt-time">{self.num(group.get("total_ms"), 3)}&nbsp;ms</td>'
            f'<td class="djdt-time">{self.num(group.get("mean_ms"), 3)}&nbsp;ms</td>'
            f'<td class="djdt-time">{self.num(group.get("max_ms"), 3)}&nbsp;ms</td>'
            f'<td class="djdt-time">{escape(errors or 0)}</td>'
            f'<td class="djdt-time">{escape(group.get("detailed", ""))}</td></tr>'
        )

    def _traceback(self, frames: list[dict[str, Any]]) -> str:
        if not frames:
            return ""
        lines = []
        for frame in frames:
            where = f"{frame['file']}:{frame['line']}"
            place = (
                f'<a href="{escape(frame["url"])}">{escape(where)}</a>'
                if frame["url"]
                else f'<span class="djdt-path">{escape(where)}</span>'
            )
            lines.append(
                f"{place} {self.t['in']} <span>{escape(frame['function'])}</span>\n"
                f'    <span class="djdt-code">{escape(frame["code"])}</span>\n'
            )
        return f'<pre class="djdt-stack djdt-sp-traceback">{"".join(lines)}</pre>'


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    """``[[key, value], ...]`` from the document, tolerating odd shapes."""
    return [
        (pair[0], pair[1])
        for pair in value or ()
        if isinstance(pair, list | tuple) and len(pair) >= 2
    ]
