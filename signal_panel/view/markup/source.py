"""Source locations and tracebacks as markup: short paths, the full path on
hover, the editor link when one is configured, and a traceback's frames of
the dispatch machinery folded away.

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view.markup.labels` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from signal_panel.view.markup.labels import NOTHING, join
from signal_panel.view.model import Failure, Frame, Location

SOURCE_LINK = '<a class="djdt-sp-source" href="{}" title="{}">{}</a>'
SOURCE = '<code class="djdt-sp-source" title="{}">{}</code>'
TRACEBACK = '<pre class="djdt-stack djdt-sp-traceback">{}</pre>'
MACHINERY = (
    '<details class="djdt-sp-machinery"><summary>{}</summary>'
    '<pre class="djdt-stack djdt-sp-traceback">{}</pre></details>'
)
FRAME = '{} {} <span>{}</span>\n    <span class="djdt-code">{}</span>\n'
FRAME_LINK = '<a href="{}" title="{}">{}</a>'
FRAME_PATH = '<span class="djdt-path" title="{}">{}</span>'


FILE_LINE = '{}<span class="djdt-sp-file">{}</span>'


def source(location: Location) -> SafeString:
    """``short/path.py:12``: a link to the editor, or code; the full path on hover."""
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


def traceback(error: Failure, in_word: SafeString) -> SafeString:
    """The frames, outermost first; the leading frames of Django's dispatcher,
    asgiref and the recorder folded in a ``<details>`` that shows them."""
    if not error.frames:
        return NOTHING
    hidden = error.machinery
    shown = format_html(
        TRACEBACK, join(_frame(frame, in_word) for frame in error.frames[hidden:])
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
    machinery = join(_frame(frame, in_word) for frame in error.frames[:hidden])
    return format_html(MACHINERY, summary, machinery) + shown


def _frame(frame: Frame, in_word: SafeString) -> SafeString:
    location = frame.location
    if location.url:
        place = format_html(FRAME_LINK, location.url, location.full, location.where)
    else:
        place = format_html(FRAME_PATH, location.full, location.where)
    return format_html(FRAME, place, in_word, frame.function, frame.code)
