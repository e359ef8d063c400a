"""Lines of text for terminals and logs: fitted to a width, escaped, coloured.

A line is a list of :class:`Part`: text with a style and a rule for how it
may be shortened. :func:`render` fits the parts to a width (values cut at
their end first, at a word boundary where there is one, then secondary names,
then names, both in the middle, never wrapped; prose such as a reason or a
finding is wrapped at word boundaries instead), and adds ANSI colour only
when asked. :func:`terminal_width` is the width to use by default.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from typing import Any, NamedTuple, TextIO

# The width when the terminal's is unknown (not a terminal, no COLUMNS).
WIDTH = 100
# Narrower terminals get this width: the tree needs room for its names.
MIN_WIDTH = 40
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
# Shortest a cut name or value gets before the line's end is cut instead.
FLOOR = 16
# Room kept for wrapped prose on a line's first row, and the most rows it
# takes (the last one then ends with an ellipsis, after a whole word).
WRAP_ROOM = 24
MAX_WRAPPED = 12

SGR = {
    "title": "1",
    "signal": "1",
    "name": "36",
    "time": "2",
    "muted": "2",
    "method": "35",
    "error": "1;31",
    "warning": "33",
}


class Part(NamedTuple):
    """A piece of a line: its text, its style, and how it may be shortened."""

    text: str
    style: str | None = None
    # In the order parts are shortened: "end" (values and messages: their
    # end is cut, at a word boundary where there is one), "middle"
    # (secondary names such as senders), "name" (signal and receiver names);
    # both cut in the middle. "wrap" (prose, the last part of its line):
    # never cut, continued on rows of its own at word boundaries, under the
    # line's first name (or under itself). None: never.
    cut: str | None = None


Line = list[Part]


def terminal_width() -> int:
    """The terminal's width in columns (``COLUMNS`` if set), else ``WIDTH``."""
    columns = shutil.get_terminal_size(fallback=(WIDTH, 24)).columns
    return max(columns, MIN_WIDTH) if columns > 0 else WIDTH


def render(line: Line, width: int, color: bool) -> str:
    """The line's text in rows of at most ``width`` columns, styled if
    ``color``: one row, unless its last part is prose to wrap."""
    wrapped = bool(line) and line[-1].cut == "wrap"
    rows = wrap(line, width) if wrapped else [fit(line, width)]
    return "\n".join(_styled(row, color) for row in rows)


def _styled(parts: Line, color: bool) -> str:
    if not color:
        return "".join(part.text for part in parts).rstrip()
    return "".join(
        f"\x1b[{SGR[part.style]}m{part.text}\x1b[0m"
        if part.style in SGR and part.text.strip()
        else part.text
        for part in parts
    ).rstrip()


def wrap(line: Line, width: int) -> list[Line]:
    """The line as rows: its last part, prose, wrapped at word boundaries.

    The other parts are shortened only if they do not fit by themselves;
    if they leave the prose less than ``WRAP_ROOM`` columns, it starts on
    the next row. Rows after the first start under the line's first name or
    value, or under the prose itself.
    """
    *head, prose = line
    if sum(columns(part.text) for part in line) <= width:
        return [list(line)]
    head = fit(head, width)
    start = sum(columns(part.text) for part in head)
    hang = 0
    for part in [*head, prose]:
        if part.cut is not None:
            break
        hang += columns(part.text)
    hang = min(hang, max(width - WRAP_ROOM, 0))
    text = prose.text
    lead = text[: len(text) - len(text.lstrip())]
    first = width - start - columns(lead)
    chunks = words_in_rows(
        text.strip(), first if first >= WRAP_ROOM else 0, width - hang
    )
    rows: list[Line] = [[*head, prose._replace(text=lead + chunks[0])]]
    rows.extend([Part(" " * hang), prose._replace(text=chunk)] for chunk in chunks[1:])
    return rows


def words_in_rows(text: str, first: int, rest: int) -> list[str]:
    """``text`` in rows of ``first``, then ``rest`` columns, broken between
    words (a word longer than a row is split across rows, nothing lost); at
    most ``MAX_WRAPPED`` rows, the last then ending in an ellipsis."""
    rows = [""]
    room = first
    for word in text.split():
        row = f"{rows[-1]} {word}" if rows[-1] else word
        if columns(row) <= room:
            rows[-1] = row
            continue
        if rows[-1] or room < rest:
            rows.append("")
            room = rest
        while columns(word) > room:
            piece = _take(word, room) or word[0]
            rows[-1] = piece
            rows.append("")
            word = word[len(piece) :]
        rows[-1] = word
    if len(rows) > MAX_WRAPPED:
        rows = rows[:MAX_WRAPPED]
        last = rows[-1]
        while last and columns(last) + 1 > rest:
            last = last.rpartition(" ")[0]  # Drop a whole word (or all).
        rows[-1] = last + ELLIPSIS
    return rows


def fit(line: Line, width: int) -> Line:
    """Shorten the line to ``width`` columns: values first, then names.

    Within each kind, the longest parts are cut to a common length, no
    shorter than ``FLOOR`` columns; only then is the end of the line cut.
    """
    fitted = list(line)
    for kind in ("end", "middle", "name"):
        lengths = [columns(part.text) for part in fitted]
        excess = sum(lengths) - width
        if excess <= 0:
            return fitted
        cuttable = [i for i, part in enumerate(fitted) if part.cut == kind]
        cap = max((lengths[i] for i in cuttable), default=0)
        while cap > FLOOR and sum(max(lengths[i] - cap, 0) for i in cuttable) < excess:
            cap -= 1
        for i in cuttable:
            if lengths[i] > cap:
                part = fitted[i]
                fitted[i] = part._replace(
                    text=shorten(part.text, cap, middle=kind != "end")
                )
    if sum(columns(part.text) for part in fitted) <= width:
        return fitted
    # Still too long (a deep indentation): cut the end of the whole line.
    return [Part(shorten("".join(part.text for part in fitted), width, middle=False))]


def shorten(text: str, limit: int, middle: bool) -> str:
    """``text`` in at most ``limit`` columns, with an ellipsis where it was cut."""
    if columns(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    if not middle:
        kept = _take(text, limit - 1)
        # At a word boundary, unless that loses more than half the room.
        space = kept.rfind(" ")
        if not text[len(kept)].isspace() and space > (limit - 1) // 2:
            kept = kept[:space]
        return kept.rstrip() + ELLIPSIS
    tail = (limit - 1) // 2
    head = limit - 1 - tail
    return _take(text, head) + ELLIPSIS + _take(text[::-1], tail)[::-1]


def _take(text: str, limit: int) -> str:
    taken, used = [], 0
    for char in text:
        used += _char_columns(char)
        if used > limit:
            break
        taken.append(char)
    return "".join(taken)


def columns(text: str) -> int:
    return sum(map(_char_columns, text))


def _char_columns(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def clean(value: Any) -> str:
    """Text of a recorded value with control characters escaped: nothing in
    it can move the cursor, change colours or reorder the line."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    return repr(char)[1:-1]  # \n, \x1b, \u202e: never a quote, always printable.


def wants_color(stream: TextIO | Any) -> bool:
    """Colour for a stream: a terminal, unless ``NO_COLOR`` is set or TERM is dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # Closed or detached streams.
        return False


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"
