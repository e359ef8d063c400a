"""The Groups and Registry tabs' repeated markup: a row per group, a row
group per signal of the registry.

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view.markup.labels` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from signal_panel.view.markup.labels import (
    ERROR_CLASS,
    NOTHING,
    Labels,
    breakable,
    join,
)
from signal_panel.view.markup.source import source
from signal_panel.view.tables import GroupRow, RegisteredReceiver, RegistryEntry

# The Groups tab ---------------------------------------------------------------

GROUP = (
    '<tr class="djdt-sp-group djdt-sp-fam-{family}{error}" data-sp-search="{search}">'
    '<td><span class="djdt-sp-swatch" aria-hidden="true"></span>'
    '<code class="djdt-sp-name">{signal}</code></td>'
    "<td><code>{sender}</code></td><td>{receivers}</td>"
    '<td class="djdt-time">{count}</td>'
    '<td class="djdt-time">{total}&nbsp;ms</td>'
    '<td class="djdt-time">{mean}&nbsp;ms</td>'
    '<td class="djdt-time">{max}&nbsp;ms</td>'
    '<td class="djdt-time">{errors}</td>'
    '<td class="djdt-time">{detailed}</td></tr>'
)
GROUP_RECEIVER = '<code class="djdt-sp-receiver">{}</code> <small>{}{} ms{}</small>'
RUNS = "{}&times;, "


def group_rows(groups: list[GroupRow], labels: Labels) -> SafeString:
    return join(group_row(group, labels) for group in groups)


def group_row(group: GroupRow, labels: Labels) -> SafeString:
    """A group's totals, and each receiver's share of them."""
    receivers = join(
        (
            format_html(
                GROUP_RECEIVER,
                breakable(receiver.name),
                # Runs, when they differ from the group's count (a receiver
                # not reached because an earlier one raised).
                format_html(RUNS, receiver.runs)
                if receiver.runs is not None and receiver.runs != group.count
                else NOTHING,
                labels.number(receiver.total_ms, 3),
                _queries_text(receiver.queries),
            )
            for receiver in group.receivers
        ),
        "<br>",
    )
    return format_html(
        GROUP,
        family=group.family,
        error=ERROR_CLASS if group.errors else NOTHING,
        search=group.search,
        signal=breakable(group.signal),
        sender=breakable(group.sender),
        receivers=receivers,
        count=group.count,
        total=labels.number(group.total_ms, 3),
        mean=labels.number(group.mean_ms, 3),
        max=labels.number(group.max_ms, 3),
        errors=group.errors,
        detailed=group.detailed,
    )


def _queries_text(queries: int) -> str:
    if not queries:
        return ""
    text: str = ngettext("%(count)s query", "%(count)s queries", queries)
    return ", " + text % {"count": queries}


# The Registry tab ---------------------------------------------------------------

REGISTRY_ENTRY = (
    '<tbody class="djdt-sp-registry-entry djdt-sp-fam-{family}"'
    ' data-sp-signal="{signal}" data-sp-search="{search}" data-sp-fired="{fired}">'
    "{rows}</tbody>"
)
SIGNAL_NAME = (
    '<span class="djdt-sp-swatch" aria-hidden="true"></span>'
    '<code class="djdt-sp-name">{}</code><br>{}{}'
)
FIRST_RECEIVER = (
    '<tr data-sp-receiver="{name}"><th scope="rowgroup" rowspan="{count}">{signal}</th>'
    "{receiver}</tr>"
)
OTHER_RECEIVER = '<tr data-sp-receiver="{}">{}</tr>'
NO_RECEIVER = (
    '<tr data-sp-receiver=""><th scope="row">{}</th>'
    '<td colspan="4"><em>{}</em></td></tr>'
)
RECEIVER_CELLS = (
    "<td><code>{name}</code>{count}{tags}{dispatch_uid}</td><td>{sender}</td>"
    "<td>{source}</td><td>{runs}</td>"
)
FOLDED = ' <span class="djdt-sp-folded" title="{}">&times;{}</span>'
TAG = ' <span class="djdt-sp-tag">{}</span>'
ASYNC_TAG = mark_safe(' <span class="djdt-sp-tag">async</span>')
SENT_TAG = '<span class="djdt-sp-tag djdt-sp-tag-ok">{}</span>'
NOT_SENT_TAG = '<span class="djdt-sp-tag">{}</span>'
DISPATCH_UID = "<br><small>dispatch_uid <code>{}</code></small>"
RAN = '<span class="djdt-sp-ran">{}</span>'
NOT_RUN = '<span class="djdt-sp-not-run">{}</span>'
CODE = "<code>{}</code>"
EMPHASIS = "<em>{}</em>"


def registry_entries(entries: list[RegistryEntry], labels: Labels) -> SafeString:
    return join(registry_entry(entry, labels) for entry in entries)


def registry_entry(entry: RegistryEntry, labels: Labels) -> SafeString:
    """A signal's receivers, one row each; the signal spans them all."""
    signal = format_html(
        SIGNAL_NAME,
        breakable(entry.signal),
        format_html(SENT_TAG, labels.sent)
        if entry.fired
        else format_html(NOT_SENT_TAG, labels.not_sent),
        format_html(TAG, labels.model_signal) if entry.model_signal else NOTHING,
    )
    if not entry.receivers:
        rows = format_html(NO_RECEIVER, signal, labels.no_receivers)
    else:
        first, *others = entry.receivers
        rows = format_html(
            FIRST_RECEIVER,
            name=first.name,
            count=len(entry.receivers),
            signal=signal,
            receiver=_receiver_cells(first, labels),
        ) + join(
            format_html(
                OTHER_RECEIVER, receiver.name, _receiver_cells(receiver, labels)
            )
            for receiver in others
        )
    return format_html(
        REGISTRY_ENTRY,
        family=entry.family,
        signal=entry.signal,
        search=entry.search,
        fired="1" if entry.fired else "",
        rows=rows,
    )


def _receiver_cells(receiver: RegisteredReceiver, labels: Labels) -> SafeString:
    return format_html(
        RECEIVER_CELLS,
        name=breakable(receiver.name),
        count=_folded(receiver.count),
        tags=format_html(TAG, labels.weak if receiver.weak else labels.strong)
        + (ASYNC_TAG if receiver.is_async else NOTHING),
        dispatch_uid=format_html(DISPATCH_UID, receiver.dispatch_uid)
        if receiver.dispatch_uid
        else NOTHING,
        sender=format_html(CODE, breakable(receiver.sender))
        if receiver.sender
        else format_html(EMPHASIS, labels.any_sender),
        source=source(receiver.source) if receiver.source else NOTHING,
        runs=_runs(receiver, labels),
    )


def _folded(count: int) -> SafeString:
    """The count of identical connections shown as one row (the same method
    connected by 12 instances); nothing for one."""
    if count < 2:
        return NOTHING
    title = ngettext(
        "%(count)s identical connection: the same receiver, file, line,"
        " reference, dispatch_uid and sender",
        "%(count)s identical connections: the same receiver, file, line,"
        " reference, dispatch_uid and sender (one method, several instances)",
        count,
    ) % {"count": count}
    return format_html(FOLDED, title, count)


def _runs(receiver: RegisteredReceiver, labels: Labels) -> SafeString:
    """How often it ran in this request, or why it never did."""
    if receiver.runs:
        return format_html(RAN, labels.ran % {"count": receiver.runs})
    if receiver.not_run:
        return format_html(NOT_RUN, receiver.not_run)
    if receiver.runs is None:
        return format_html(EMPHASIS, labels.not_recorded_runs)
    return format_html(NOT_RUN, labels.ran % {"count": 0})
