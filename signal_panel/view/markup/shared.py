"""What the dispatch rows' markup shares: literal constants, the chip, the
helpers that join markup, the translated sentences, source locations and
tracebacks.

A dispatch's lane, table row and details (``dispatch_rows`` and ``details``
in this package) are the only markup the panel builds in Python: a page can
have hundreds of them, and Django's template engine took about 100 µs per
row where ``format_html`` takes a few. Everything else is rendered by the
templates (``templates/signal_panel/``).

The markup is made by Django's ``format_html`` from literal format strings
(module constants): every value put into them goes through
``conditional_escape`` (``&``, ``<``, ``>``, ``"`` and ``'`` become entities)
unless it is markup made the same way (a ``SafeString``). ``mark_safe``
appears only on the literal constants below. ``tests/view/test_safe_html.py``
checks both.

Here: those constants, :func:`join` and :func:`repeat` (``format_html`` for
many parts in one call), :func:`breakable` dotted names (the templates use it
too, as the ``breakable`` filter), :class:`Labels`, the translated sentences
and words, looked up once per rendering, and numbers with the active
language's decimal separator, like the template's ``floatformat``;
:func:`source` and :func:`traceback`.
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

from signal_panel.view.model import Failure, Frame, Location

# Literal markup used as a value: constants only, never built from data.
NOTHING = mark_safe("")
ERROR_CLASS = mark_safe(" djdt-sp-error")
ANCHOR_CLASS = mark_safe(" djdt-sp-anchor")
NEST = mark_safe('<span class="djdt-sp-nest" aria-hidden="true">↳</span>')
# A keyword argument as a chip, ``created=True``: a model signal's essentials
# in its row, its model context in its details.
CHIP = '<span class="djdt-sp-chip"><span>{}</span>=<code>{}</code></span>'


class Labels:
    """What the dispatch rows say in the active language, looked up once per
    rendering.

    Words come escaped; the sentences (``tooltip``, ``when``, ...) are
    formats of text that is escaped when it is put into markup, whole, so
    that a translation can order its words.
    """

    def __init__(self) -> None:
        self.decimal = str(get_format("DECIMAL_SEPARATOR"))
        self.tooltip: str = _(
            "%(signal)s — sender %(sender)s — at %(start)s ms, took %(duration)s ms"
        )
        self.tooltip_error: str = _(
            "%(signal)s — sender %(sender)s — at %(start)s ms, took %(duration)s ms"
            " — error"
        )
        self.details: str = _("Details of %(name)s #%(id)s")
        self.not_kept: str = _("#%(id)s (not kept in detail)")
        self.group_totals: str = _(
            "%(count)s sends with the same sender and receivers"
            " (%(detailed)s kept in detail): %(total)s ms in all,"
            " %(mean)s ms mean, %(max)s ms max"
        )
        self.group_count: str = _(
            "%(count)s sends of this signal, sender and receivers in the"
            " request: %(kept)s kept in detail, the others only counted in"
            " the Groups tab"
        )
        self.nested_queries_count: str = _("+%(count)s nested (%(ms)s ms)")
        self.error = conditional_escape(_("error"))
        self.repeat = conditional_escape(_("repeat"))
        self.none = conditional_escape(_("none"))
        self.same = conditional_escape(
            _("Same signal, sender and receivers as an earlier dispatch")
        )
        self.signal = conditional_escape(_("Signal"))
        self.sender = conditional_escape(_("Sender"))
        self.sent_from = conditional_escape(_("Sent from"))
        self.not_recorded = conditional_escape(_("not recorded"))
        self.inside = conditional_escape(_("Inside"))
        self.nested = conditional_escape(_("Nested"))
        self.thread = conditional_escape(_("Thread"))
        self.group = conditional_escape(_("Group"))
        self.dispatch = conditional_escape(_("Dispatch"))
        self.kwargs = conditional_escape(_("Keyword arguments"))
        self.no_kwargs = conditional_escape(_("none besides sender"))
        self.no_other_kwargs = conditional_escape(
            _("none besides sender and the model context above")
        )
        self.request_panel = conditional_escape(_("Request panel"))
        self.headers_panel = conditional_escape(_("Headers panel"))
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
        self.not_called = conditional_escape(_("Connected but not called"))
        self.raised = conditional_escape(_("Raised out of the send"))

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


# Source locations and tracebacks -------------------------------------------------

SOURCE_LINK = '<a class="djdt-sp-source" href="{}" title="{}">{}</a>'
SOURCE = '<code class="djdt-sp-source" title="{}">{}</code>'
FILE_LINE = '{}<span class="djdt-sp-file">{}</span>'
TRACEBACK = '<pre class="djdt-stack djdt-sp-traceback">{}</pre>'
MACHINERY = (
    '<details class="djdt-sp-machinery"><summary>{}</summary>'
    '<pre class="djdt-stack djdt-sp-traceback">{}</pre></details>'
)
FRAME = '{}\n    <span class="djdt-code">{}</span>\n'
FRAME_LINK = '<a href="{}" title="{}">{}</a>'
FRAME_PATH = '<span class="djdt-path" title="{}">{}</span>'


def source(location: Location) -> SafeString:
    """``short/path.py:12``: a link to the editor, or code; the full path on
    hover. (The Registry tab's template makes the same markup.)"""
    where = file_line(location.where)
    if location.url:
        return format_html(SOURCE_LINK, location.url, location.full, where)
    return format_html(SOURCE, location.full, where)


def file_line(where: str) -> SafeString:
    """``short/path.py:12`` that wraps after a directory's slash, never
    inside its last part (``path.py:12``: one unbreakable span)."""
    cut = max(where.rfind("/"), where.rfind("\\")) + 1
    directories = where[:cut]
    head = join(directories.split("/"), "/<wbr>") if directories else NOTHING
    return format_html(FILE_LINE, head, where[cut:])


def traceback(error: Failure) -> SafeString:
    """The frames, outermost first; the leading frames of Django's dispatcher,
    asgiref and the recorder folded in a ``<details>`` that shows them."""
    if not error.frames:
        return NOTHING
    hidden = error.machinery
    shown = format_html(
        TRACEBACK, join(_frame(frame) for frame in error.frames[hidden:])
    )
    if not hidden:
        return shown
    summary = ngettext(
        "%(count)s earlier frame, in the dispatch machinery"
        " (Django's dispatcher, asgiref, the recorder)",
        "%(count)s earlier frames, in the dispatch machinery"
        " (Django's dispatcher, asgiref, the recorder)",
        hidden,
    ) % {"count": hidden}
    machinery = join(_frame(frame) for frame in error.frames[:hidden])
    return format_html(MACHINERY, summary, machinery) + shown


def _frame(frame: Frame) -> SafeString:
    location = frame.location
    if location.url:
        place = format_html(FRAME_LINK, location.url, location.full, location.where)
    else:
        place = format_html(FRAME_PATH, location.full, location.where)
    placed = format_html(
        _("{place} in <span>{function}</span>"), place=place, function=frame.function
    )
    return format_html(FRAME, placed, frame.code)


SLOW_CHECK_START = mark_safe('<label><input type="checkbox" class="djdt-sp-slow"> ')
SLOW_CHECK_END = mark_safe("</label>")
SLOW_THRESHOLD = (
    '<input type="number" class="djdt-sp-threshold" value="{}" min="0"'
    ' step="0.1" aria-label="{}">'
)
SLOW_MEASURE = (
    '<select class="djdt-sp-slow-measure" aria-label="{}">'
    '<option value="dispatch">{}</option>'
    '<option value="receiver">{}</option>'
    '<option value="outside">{}</option></select>'
)


def slow_filter(slow_ms: float) -> SafeString:
    """The filter "Only slower than [N] ms, measuring [what]": one sentence
    for a translation to order, its controls in place (the words between
    ``{check}`` and ``{end_check}`` toggle the checkbox)."""
    return format_html(
        _("{check}Only slower than{end_check} {threshold} ms, measuring {measure}"),
        check=SLOW_CHECK_START,
        end_check=SLOW_CHECK_END,
        threshold=format_html(
            SLOW_THRESHOLD, f"{slow_ms:g}", _("Slow threshold in milliseconds")
        ),
        measure=format_html(
            SLOW_MEASURE,
            _("What the slow threshold measures"),
            _("the dispatch"),
            _("its slowest receiver"),
            _("its time outside receivers"),
        ),
    )
