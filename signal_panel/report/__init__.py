"""A recording as text: the stats document drawn as a tree for terminals and logs.

``format_stats(stats)`` renders a stats document (``docs/stats-format.md``):
a summary line; one line per detailed dispatch, indented as in the panel's
timeline, each followed by its receivers (time, queries, result or error,
and the dispatches they sent) and the receivers that were not called; then
the groups beyond the detail cap, the sends that found no receiver, and the
recorder's own failures. It reads only the document, so a live recording
(``Recording.report()``), a stored document and a downloaded JSON file render
the same text.

After the summary line come the findings (``stats["findings"]``, the
classic mistakes): a title, then the detail and the fix.

Every line fits ``width`` columns, by default the terminal's
(``shutil.get_terminal_size``, so ``COLUMNS`` counts), else 100: long names
are cut in the middle, long values at the end (at a word boundary where
there is one), never wrapped; prose (reasons, findings, failures) is wrapped
at word boundaries, never cut mid-word. Control characters from recorded
values are escaped. Colour (ANSI) only when asked for: :func:`wants_color`
decides it for a stream.

The document is read defensively: missing fields, unknown fields and values
of the wrong type (older or newer documents) are skipped, never fatal. Each
block of the text is one function in ``SECTIONS``, so a new part of the
document gets its own function there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from signal_panel.report.document import ReportData
from signal_panel.report.lines import (
    Line,
    Part,
    clean,
    render,
    terminal_width,
    wants_color,
)
from signal_panel.report.summaries import (
    beyond_cap,
    failures,
    findings_block,
    orphans,
    summary,
    version_note,
)
from signal_panel.report.tree import tree

__all__ = ["SECTIONS", "format_stats", "terminal_width", "wants_color"]

SECTIONS: tuple[Callable[[ReportData], list[Line]], ...] = (
    version_note,
    summary,
    findings_block,
    tree,
    beyond_cap,
    orphans,
    failures,
)


def format_stats(
    stats: Mapping[str, Any],
    *,
    color: bool = False,
    width: int | None = None,
    title: str | None = None,
    markers: Iterable[tuple[float, str]] = (),
) -> str:
    """The text of a stats document; see the module's docstring.

    ``markers`` are ``(ms, label)`` pairs, e.g. the phases of a test: each is
    drawn as a line in the tree before the first dispatch sent after it.
    ``width`` defaults to the terminal's (:func:`terminal_width`).
    """
    width = width or terminal_width()
    document = ReportData(stats if isinstance(stats, Mapping) else {}, width, markers)
    lines: list[Line] = [[Part(clean(title), "title", "end")]] if title else []
    for section in SECTIONS:
        lines.extend(section(document))
    return "\n".join(render(line, width, color) for line in lines)
