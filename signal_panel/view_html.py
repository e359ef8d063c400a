"""The panel's repeated markup: what is shared, the Groups and Registry tabs' rows.

Built with Django's ``format_html`` and ``format_html_join`` from the view
model: the markup is in the literal format strings below, and every value put
into them goes through ``conditional_escape`` (``&``, ``<``, ``>``, ``"`` and
``'`` become entities), unless it is markup these functions built themselves
(a ``SafeString``). The template engine renders the rest of the page; it took
about 100 µs per row here, ``format_html`` a few.

The translated words are looked up and escaped once per rendering
(:class:`Labels`); numbers take the active language's decimal separator, like
the template's ``floatformat``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import Literal

from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from signal_panel.view_tables import Group, RegisteredReceiver, RegistryEntry

# Literal markup used as a value: constants only, never built from data.
NOTHING = mark_safe("")
ERROR_CLASS = mark_safe(" djdt-sp-error")
ANCHOR_CLASS = mark_safe(" djdt-sp-anchor")
NEST = mark_safe('<span class="djdt-sp-nest" aria-hidden="true">↳</span>')


class Labels:
    """What rows say in the active language, looked up once per rendering.

    Words come escaped; ``tooltip``, ``details`` and ``group_totals`` are
    formats of text that is escaped when it is put into markup.
    """

    def __init__(self) -> None:
        self.decimal = str(get_format("DECIMAL_SEPARATOR"))
        self.tooltip = _(
            "%(signal)s — sender %(sender)s — at %(start)s ms, took %(duration)s ms"
        )
        self.details = _("Details of %(name)s #%(id)s")
        self.error_suffix = " — " + _("error")
        self.group_totals = _(
            "%(count)s sends with the same sender and receivers"
            " (%(detailed)s kept in detail): %(total)s ms in all,"
            " %(mean)s ms mean, %(max)s ms max"
        )
        self.error = conditional_escape(_("error"))
        self.repeat = conditional_escape(_("repeat"))
        self.none = conditional_escape(_("none"))
        self.in_word = conditional_escape(_("in"))
        self.same = conditional_escape(
            _("Same signal, sender and receivers as an earlier dispatch")
        )
        self.group_count = conditional_escape(
            _("Sends of this signal, sender and receivers in the request")
        )
        self.signal = conditional_escape(_("Signal"))
        self.sender = conditional_escape(_("Sender"))
        self.sent_from = conditional_escape(_("Sent from"))
        self.not_recorded = conditional_escape(_("not recorded"))
        self.inside = conditional_escape(_("Inside"))
        self.not_kept = conditional_escape(_("not kept in detail"))
        self.nested = conditional_escape(_("Nested"))
        self.group = conditional_escape(_("Group"))
        self.dispatch = conditional_escape(_("Dispatch"))
        self.kwargs = conditional_escape(_("Keyword arguments"))
        self.no_kwargs = conditional_escape(_("none besides sender"))
        self.called = conditional_escape(_("Receivers called"))
        self.receiver = conditional_escape(_("Receiver"))
        self.at = conditional_escape(_("At"))
        self.time = conditional_escape(_("Time"))
        self.queries = conditional_escape(_("Queries"))
        self.returned = conditional_escape(_("Returned or raised"))
        self.nested_queries = conditional_escape(
            _("Run by dispatches nested inside this receiver")
        )
        self.nested_word = conditional_escape(_("nested"))
        self.not_called = conditional_escape(_("Connected but not called"))
        self.raised = conditional_escape(_("Raised out of the send"))
        self.at_word = conditional_escape(_("at"))
        self.took_word = conditional_escape(_("took"))
        self.sent = conditional_escape(_("sent"))
        self.not_sent = conditional_escape(_("not sent"))
        self.any_sender = conditional_escape(_("any"))
        self.weak = conditional_escape(_("weak"))
        self.strong = conditional_escape(_("strong"))
        self.no_receivers = conditional_escape(_("no receivers connected"))

    def number(self, value: float, places: int) -> str:
        """``value`` with ``places`` decimals and the language's separator."""
        formatted = f"{value:.{places}f}"
        return (
            formatted.replace(".", self.decimal) if self.decimal != "." else formatted
        )


# Literal markup that may separate the parts of :func:`join`.
Separator = Literal["", "<br>", ".<wbr>"]


def join(parts: Iterable[SafeString | str], separator: Separator = "") -> SafeString:
    """``parts`` one after the other, escaped unless already markup.

    One ``format_html`` call whose format string is only replacement fields
    and the literal ``separator``: ``format_html_join`` would make one per part.
    """
    every = tuple(parts)
    if not every:
        return NOTHING
    return format_html(_fields(len(every), separator), *every)


@functools.cache
def _fields(count: int, separator: Separator) -> str:
    return separator.join(("{}",) * count)


def repeat(row_format: str, rows: Sequence[Sequence[object]]) -> SafeString:
    """``row_format``, a literal format string with ``{}`` fields, once per row.

    What ``format_html_join("", row_format, rows)`` makes, in one
    ``format_html`` call instead of one per row.
    """
    if not rows:
        return NOTHING
    return format_html(row_format * len(rows), *itertools.chain.from_iterable(rows))


@functools.lru_cache(maxsize=4096)
def breakable(name: str) -> SafeString:
    """``name`` escaped, with a line-break opportunity after each dot.

    Dotted names (``django.core.handlers.wsgi.WSGIHandler``) then wrap at a
    dot instead of widening the table. Cached: the same few signal, sender
    and receiver names come back in row after row.
    """
    return join(name.split("."), ".<wbr>")


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
    return ", " + ngettext("%(count)s query", "%(count)s queries", queries) % {
        "count": queries
    }


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
    first, *others = entry.receivers or (None,)
    if first is None:
        rows = format_html(NO_RECEIVER, signal, fired, labels.no_receivers)
    else:
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
