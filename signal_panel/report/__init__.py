"""A recording as text: the stats document drawn as a tree for terminals and logs.

``format_stats(stats)`` renders a stats document (``docs/stats-format.md``):
a summary line; one line per detailed dispatch, indented as in the panel's
timeline, each followed by its receivers (time, queries, result or error,
and the dispatches they sent) and the receivers that were not called; then
the groups beyond the detail cap, the sends that found no receiver, and the
recorder's own failures. It reads only the document, so a live recording
(``Recording.report()``), a stored document and a downloaded JSON file render
the same text.

Every line fits ``width`` columns: long names are cut in the middle, long
values at the end, never wrapped. Control characters from recorded values
are escaped. Colour (ANSI) only when asked for: :func:`wants_color` decides
it for a stream.

The document is read defensively: missing fields, unknown fields and values
of the wrong type (older or newer documents) are skipped, never fatal. Each
block of the text is one function in ``SECTIONS``, so a new part of the
document gets its own function there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from signal_panel.report.document import Document
from signal_panel.report.lines import WIDTH, Line, Part, clean, render, wants_color
from signal_panel.report.summaries import (
    beyond_cap,
    failures,
    orphans,
    summary,
    version_note,
)
from signal_panel.report.tree import tree

__all__ = ["SECTIONS", "format_stats", "wants_color"]

SECTIONS: tuple[Callable[[Document], list[Line]], ...] = (
    version_note,
    summary,
    tree,
    beyond_cap,
    orphans,
    failures,
)


def format_stats(
    stats: Mapping[str, Any],
    *,
    color: bool = False,
    width: int = WIDTH,
    title: str | None = None,
    markers: Iterable[tuple[float, str]] = (),
) -> str:
    """The text of a stats document; see the module's docstring.

    ``markers`` are ``(ms, label)`` pairs, e.g. the phases of a test: each is
    drawn as a line in the tree before the first dispatch sent after it.
    """
    document = Document(stats if isinstance(stats, Mapping) else {}, width, markers)
    lines: list[Line] = [[Part(clean(title), "title", "end")]] if title else []
    for section in SECTIONS:
        lines.extend(section(document))
    return "\n".join(render(line, width, color) for line in lines)
