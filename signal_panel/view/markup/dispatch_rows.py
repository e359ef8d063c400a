"""The Dispatches tab's repeated markup: a timeline lane and a table row per dispatch.

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view.markup.shared` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from signal_panel.view.markup.details import details
from signal_panel.view.markup.shared import (
    ANCHOR_CLASS,
    CHIP,
    ERROR_CLASS,
    NEST,
    NOTHING,
    Labels,
    breakable,
    join,
    repeat,
)
from signal_panel.view.rows import CallRow, DispatchRow

# The timeline ------------------------------------------------------------------

MARKER = '<line class="djdt-sp-marker" x1="{}" x2="{}" y1="0" y2="100%"></line>'
LANE = (
    '<button type="button" class="djdt-sp-lane djdt-sp-fam-{family}{error}{anchor}"'
    ' data-sp-id="{id}" tabindex="{tabindex}" title="{tooltip}">'
    '<span class="djdt-sp-lane-label djdt-sp-depth-{depth}">'
    '{nest}<span class="djdt-sp-lane-name">{name}</span>'
    ' <span class="djdt-sp-lane-sender">{sender}</span></span>'
    '<svg class="djdt-sp-track" xmlns="http://www.w3.org/2000/svg"'
    ' aria-hidden="true" focusable="false">'
    "{markers}"
    '<rect class="djdt-sp-bar-dispatch" x="{x}" y="2"'
    ' width="{width}" height="8" rx="1.5"></rect>'
    "{receivers}</svg></button>"
)
RECEIVER_BAR = (
    '<rect class="djdt-sp-bar-receiver{}" x="{}"'
    ' y="12" width="{}" height="4"><title>{}</title></rect>'
)


def markers(rows: list[DispatchRow]) -> SafeString:
    """Dashed lines at ``request_started`` and ``request_finished``, for every lane."""
    return repeat(MARKER, [(row.bar.x, row.bar.x) for row in rows if row.anchor])


def lanes(rows: list[DispatchRow], labels: Labels) -> SafeString:
    """The timeline's lanes; the first is the timeline's one tab stop."""
    marked = markers(rows)
    return join(
        lane(row, labels, marked, first=not index) for index, row in enumerate(rows)
    )


def lane(
    row: DispatchRow, labels: Labels, markers: SafeString, first: bool
) -> SafeString:
    return format_html(
        LANE,
        **_identity(row),
        tabindex=0 if first else -1,
        tooltip=_tooltip(row, labels),
        depth=row.depth_class,
        nest=NEST if row.depth else NOTHING,
        name=row.short_name,
        sender=row.sender,
        markers=markers,
        x=row.bar.x,
        width=row.bar.width,
        receivers=repeat(
            RECEIVER_BAR, [_receiver_bar(call, labels) for call in row.receivers]
        ),
    )


def _identity(row: DispatchRow) -> dict[str, SafeString | str]:
    """What a dispatch's lane and table row share: its id, family and state."""
    return {
        "id": row.id,
        "family": row.family,
        "error": ERROR_CLASS if row.has_error else NOTHING,
        "anchor": ANCHOR_CLASS if row.anchor else NOTHING,
    }


def _tooltip(row: DispatchRow, labels: Labels) -> str:
    sentence = labels.tooltip_error if row.has_error else labels.tooltip
    return sentence % {
        "signal": row.signal,
        "sender": row.sender,
        "start": labels.number(row.start_ms, 2),
        "duration": labels.number(row.duration_ms, 3),
    }


def _receiver_bar(call: CallRow, labels: Labels) -> tuple[str, str, str, str]:
    """A receiver's bar under its dispatch's: class, x, width, tooltip."""
    title = f"{call.name} — {labels.number(call.duration_ms, 3)} ms"
    if call.error:
        title += f" — {call.error.type}"
    error = " djdt-sp-bar-error" if call.error else ""
    return error, call.bar.x, call.bar.width, title


# The table -----------------------------------------------------------------------

DISPATCH = (
    '<div class="djdt-sp-dispatch djdt-sp-fam-{family}{error}{anchor}" role="rowgroup"'
    ' data-sp-id="{id}" data-sp-family="{family}" data-sp-search="{search}"'
    ' data-sp-ms="{ms}" data-sp-receiver-ms="{receiver_ms}"'
    ' data-sp-outside-ms="{outside_ms}"'
    ' data-sp-error="{error_flag}" data-sp-collapse="{collapse}">'
    '<div id="{panel_id}Main_{id}" class="djdt-sp-tr djdt-sp-row" role="row">'
    '<span class="djdt-sp-td" role="cell">'
    '<button type="button" class="djdt-sp-toggle" aria-expanded="false"'
    ' aria-controls="{panel_id}Details_{id}" aria-label="{toggle_label}">+</button>'
    "</span>"
    '<span class="djdt-sp-td djdt-sp-num" role="cell">{start}&nbsp;ms</span>'
    '<span class="djdt-sp-td djdt-sp-num" role="cell">{duration}&nbsp;ms</span>'
    '<span class="djdt-sp-td djdt-sp-signal-cell" role="cell">{signal}</span>'
    '<span class="djdt-sp-td" role="cell"><code class="djdt-sp-sender">{sender}</code>'
    "{essentials}</span>"
    '<span class="djdt-sp-td" role="cell">{receivers}</span>'
    '<span class="djdt-sp-td djdt-sp-num" role="cell">{queries}</span></div>'
    '<div id="{panel_id}Details_{id}" class="djdt-sp-detail-row"'
    ' role="row" data-sp-detail="{id}">'
    '<div class="djdt-sp-detail" role="cell">{details}</div>'
    "</div></div>"
)
RECEIVER_NAME = '<code class="djdt-sp-receiver{}">{}</code>'
NO_RECEIVER = "<em>{}</em>"
SIGNAL_CELL = (
    '<span class="djdt-sp-indent djdt-sp-depth-{depth}">{nest}'
    '<span class="djdt-sp-swatch" aria-hidden="true"></span>'
    '<code class="djdt-sp-name" title="{signal}">{name}</code>'
    '<small class="djdt-sp-module">#{id} · {module}</small></span>'
)
ESSENTIALS = '<span class="djdt-sp-essentials">{}</span>'

TAG = ' <span class="djdt-sp-tag">{}</span>'
ERROR_TAG = ' <span class="djdt-sp-tag djdt-sp-tag-error">{}</span>'
TITLED_TAG = ' <span class="djdt-sp-tag" title="{}">{}</span>'
THREAD_TAG = ' <span class="djdt-sp-tag djdt-sp-thread" title="{}">{}</span>'
GROUP_COUNT_TAG = ' <span class="djdt-sp-tag" title="{}">&times;{}</span>'
REPEATS_BUTTON = (
    ' <button type="button" class="djdt-sp-repeats"'
    ' data-sp-group="{}" aria-expanded="false">{}</button>'
)


def dispatch_table_rows(
    rows: list[DispatchRow], labels: Labels, panel_id: str
) -> SafeString:
    escaped_id = conditional_escape(panel_id)  # once, not once per row
    return join(dispatch_row(row, labels, escaped_id) for row in rows)


def dispatch_row(row: DispatchRow, labels: Labels, panel_id: str) -> SafeString:
    """A dispatch's table row and its (hidden) details row, in one row group."""
    return format_html(
        DISPATCH,
        **_identity(row),
        search=row.search,
        ms=f"{row.duration_ms:f}",
        receiver_ms=f"{row.slowest_receiver_ms:f}",
        outside_ms="" if row.outside_ms is None else f"{row.outside_ms:f}",
        error_flag="1" if row.has_error else "",
        collapse=row.collapse,
        panel_id=panel_id,
        toggle_label=labels.details % {"name": row.short_name, "id": row.id},
        start=labels.number(row.start_ms, 2),
        duration=labels.number(row.duration_ms, 3),
        signal=_signal_cell(row, labels),
        sender=breakable(row.sender),
        essentials=_essentials(row),
        receivers=_receiver_names(row, labels),
        queries=row.query_count or "",
        details=details(row, labels),
    )


def _essentials(row: DispatchRow) -> SafeString:
    """A model signal's ``action``, ``created`` and ``pk_set`` size, in the row."""
    shown = row.essentials
    if not shown:
        return NOTHING
    return format_html(ESSENTIALS, repeat(CHIP, shown))


def _receiver_names(row: DispatchRow, labels: Labels) -> SafeString:
    if not row.receivers:
        return format_html(NO_RECEIVER, labels.none)
    return repeat(
        RECEIVER_NAME,
        [
            (" djdt-sp-receiver-error" if call.error else "", breakable(call.name))
            for call in row.receivers
        ],
    )


def _signal_cell(row: DispatchRow, labels: Labels) -> SafeString:
    """Indented name and module, then tags: send method, error, repeats."""
    cell = format_html(
        SIGNAL_CELL,
        id=row.id,
        depth=row.depth_class,
        nest=NEST if row.depth else NOTHING,
        signal=row.signal,
        name=row.short_name,
        module=row.module,
    )
    if row.method and row.method != "send":
        cell += format_html(TAG, row.method)
    if row.thread:
        names = {"name": row.thread}
        cell += format_html(
            THREAD_TAG, labels.thread_title % names, labels.in_thread % names
        )
    if row.has_error:
        cell += format_html(ERROR_TAG, labels.error)
    return cell + _repeat_tags(row, labels)


def _repeat_tags(row: DispatchRow, labels: Labels) -> SafeString:
    """On a group's first dispatch, the group's size and its folded repeats.

    They read as one phrase that adds up: "&times;31 sends" (the group's sends in
    the request, 10 of them kept in detail, as the tooltip says), then
    "9 more in detail" (the kept ones folded under this row).
    """
    lead = row.lead
    if lead is None:
        return format_html(TITLED_TAG, labels.same, labels.repeat)
    tags = NOTHING
    if lead.group_count > 1:
        sends = ngettext("%(count)s send", "%(count)s sends", lead.group_count) % {
            "count": lead.group_count
        }
        title = labels.group_count % {
            "count": lead.group_count,
            "kept": lead.repeats + 1,
        }
        tags += format_html(GROUP_COUNT_TAG, title, sends)
    if lead.folded:
        more = ngettext(
            "%(count)s more in detail", "%(count)s more in detail", lead.folded
        ) % {"count": lead.folded}
        tags += format_html(REPEATS_BUTTON, row.group, more)
    return tags
