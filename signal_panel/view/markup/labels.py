"""How the panel's repeated markup is built: what its three builders share.

The markup of each dispatch, group and registry entry (``dispatch_rows``,
``details``, ``table_rows`` in this package) is made by Django's
``format_html`` from literal format strings (module constants): every value put
into them goes through ``conditional_escape`` (``&``, ``<``, ``>``, ``"`` and
``'`` become entities) unless it is markup made the same way (a
``SafeString``). ``mark_safe`` appears only on the literal constants below.
``tests/view/test_safe_html.py`` checks both. The template engine, which renders the
rest of the page, took about 100 µs per row; ``format_html`` takes a few.

Here: those constants, :func:`join` and :func:`repeat` (``format_html`` for
many parts in one call), :func:`breakable` dotted names, and :class:`Labels`,
the translated words, looked up and escaped once per rendering, and numbers
with the active language's decimal separator, like the template's
``floatformat``.
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

# Literal markup used as a value: constants only, never built from data.
NOTHING = mark_safe("")
ERROR_CLASS = mark_safe(" djdt-sp-error")
ANCHOR_CLASS = mark_safe(" djdt-sp-anchor")
NEST = mark_safe('<span class="djdt-sp-nest" aria-hidden="true">↳</span>')


class Labels:
    """What rows say in the active language, looked up once per rendering.

    Words come escaped; ``tooltip``, ``details``, ``group_totals`` and
    ``group_count`` are
    formats of text that is escaped when it is put into markup.
    """

    def __init__(self) -> None:
        self.decimal = str(get_format("DECIMAL_SEPARATOR"))
        self.tooltip: str = _(
            "%(signal)s — sender %(sender)s — at %(start)s ms, took %(duration)s ms"
        )
        self.details: str = _("Details of %(name)s #%(id)s")
        self.error_suffix: str = " — " + _("error")
        self.group_totals: str = _(
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
        self.group_count: str = _(
            "%(count)s sends of this signal, sender and receivers in the"
            " request: %(kept)s kept in detail, the others only counted in"
            " the Groups tab"
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
        self.no_other_kwargs = conditional_escape(
            _("none besides sender and the model context above")
        )
        self.request_panel = conditional_escape(_("Request panel"))
        self.headers_panel = conditional_escape(_("Headers panel"))
        self.outside = conditional_escape(_("outside its receivers"))
        self.gc_pauses = conditional_escape(_("garbage-collector pauses"))
        self.from_receiver = conditional_escape(_("from"))
        # Plain text: format_html escapes them with the thread's name.
        self.in_thread = _("in thread %(name)s")
        self.thread_title = _(
            "Sent in the thread %(name)s, started inside this recording"
        )
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
        self.ran: str = _("ran %(count)s\N{MULTIPLICATION SIGN} in this request")
        self.not_recorded_runs = conditional_escape(_("not recorded"))
        self.model_signal = conditional_escape(_("model signal"))
        self.fix = conditional_escape(_("Fix:"))
        self.show_in_registry = conditional_escape(_("Show in the Registry"))
        self.orphan_receivers = conditional_escape(
            _("Connected to this signal when the stats were built, and why not run")
        )

    def number(self, value: float, places: int) -> str:
        """``value`` with ``places`` decimals and the language's separator."""
        formatted = f"{value:.{places}f}"
        return (
            formatted.replace(".", self.decimal) if self.decimal != "." else formatted
        )


# Literal markup that may separate the parts of :func:`join`.
Separator = Literal["", "<br>", ".<wbr>", "/<wbr>"]


def join(parts: Iterable[SafeString | str], separator: Separator = "") -> SafeString:
    """``parts`` one after the other, escaped unless already markup.

    One ``format_html`` call whose format string is only replacement fields
    and the literal ``separator``: ``format_html_join`` would make one per part.
    """
    every = tuple(parts)
    if not every:
        return NOTHING
    return format_html(_fields(len(every), separator), *every)


@functools.lru_cache(maxsize=256)
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
