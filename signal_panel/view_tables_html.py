"""The Groups and Registry tabs' repeated markup: a row per group, a row
group per signal of the registry.

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view_html` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from signal_panel.view_html import (
    ERROR_CLASS,
    NOTHING,
    Labels,
    breakable,
    join,
)
from signal_panel.view_tables import Group, RegisteredReceiver, RegistryEntry

# The Groups tab ---------------------------------------------------------------

GROUP = (
    '<tr class="djdt-sp-fam-{family}{error}">'
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
GROUP_RECEIVER = '<code class="djdt-sp-receiver">{}</code> <small>{} ms{}</small>'


def group_rows(groups: list[Group], labels: Labels) -> SafeString:
    return join(group_row(group, labels) for group in groups)


def group_row(group: Group, labels: Labels) -> SafeString:
    """A group's totals, and each receiver's share of them."""
    receivers = join(
        (
            format_html(
                GROUP_RECEIVER,
                breakable(receiver.name),
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
    ' data-sp-search="{search}" data-sp-fired="{fired}">{rows}</tbody>'
)
SIGNAL_NAME = (
    '<span class="djdt-sp-swatch" aria-hidden="true"></span>'
    '<code class="djdt-sp-name">{}</code>'
)
FIRST_RECEIVER = (
    '<tr><th scope="rowgroup" rowspan="{count}">{signal}</th>'
    '<td rowspan="{count}">{fired}</td>{receiver}</tr>'
)
OTHER_RECEIVER = "<tr>{}</tr>"
NO_RECEIVER = (
    '<tr><th scope="row">{}</th><td>{}</td><td colspan="5"><em>{}</em></td></tr>'
)
RECEIVER_CELLS = (
    "<td><code>{name}</code>{is_async}</td><td>{sender}</td><td>{source}</td>"
    "<td>{reference}</td><td>{dispatch_uid}</td>"
)
ASYNC_TAG = mark_safe(' <span class="djdt-sp-tag">async</span>')
SENT_TAG = '<span class="djdt-sp-tag djdt-sp-tag-ok">{}</span>'
NOT_SENT_TAG = '<span class="djdt-sp-tag">{}</span>'
REGISTERED_SOURCE_LINK = '<a class="djdt-sp-source" href="{}">{}</a>'
REGISTERED_SOURCE = '<code class="djdt-sp-source">{}</code>'
CODE = "<code>{}</code>"
EMPHASIS = "<em>{}</em>"


def registry_entries(entries: list[RegistryEntry], labels: Labels) -> SafeString:
    return join(registry_entry(entry, labels) for entry in entries)


def registry_entry(entry: RegistryEntry, labels: Labels) -> SafeString:
    """A signal's receivers, one row each; the signal spans them all."""
    signal = format_html(SIGNAL_NAME, breakable(entry.signal))
    if entry.fired:
        fired = format_html(SENT_TAG, labels.sent)
    else:
        fired = format_html(NOT_SENT_TAG, labels.not_sent)
    if not entry.receivers:
        rows = format_html(NO_RECEIVER, signal, fired, labels.no_receivers)
    else:
        first, *others = entry.receivers
        rows = format_html(
            FIRST_RECEIVER,
            count=len(entry.receivers),
            signal=signal,
            fired=fired,
            receiver=_receiver_cells(first, labels),
        ) + join(
            format_html(OTHER_RECEIVER, _receiver_cells(receiver, labels))
            for receiver in others
        )
    return format_html(
        REGISTRY_ENTRY,
        family=entry.family,
        search=entry.search,
        fired="1" if entry.fired else "",
        rows=rows,
    )


def _receiver_cells(receiver: RegisteredReceiver, labels: Labels) -> SafeString:
    if not receiver.file:
        source = NOTHING
    elif receiver.url:
        source = format_html(REGISTERED_SOURCE_LINK, receiver.url, receiver.where)
    else:
        source = format_html(REGISTERED_SOURCE, receiver.where)
    return format_html(
        RECEIVER_CELLS,
        name=breakable(receiver.name),
        is_async=ASYNC_TAG if receiver.is_async else NOTHING,
        sender=format_html(CODE, receiver.sender)
        if receiver.sender
        else format_html(EMPHASIS, labels.any_sender),
        source=source,
        reference=labels.weak if receiver.weak else labels.strong,
        dispatch_uid=format_html(CODE, receiver.dispatch_uid)
        if receiver.dispatch_uid
        else NOTHING,
    )
