"""Lines of text for terminals and logs: fitted to a width, escaped, coloured.

A line is a list of :class:`Part`: text with a style and a rule for how it
may be shortened. :func:`render` fits the parts to a width (values cut at
their end first, then secondary names, then names, both in the middle, never
wrapped), and adds ANSI colour only when asked.
"""

from __future__ import annotations

import os
import unicodedata
from typing import Any, NamedTuple, TextIO

WIDTH = 100
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
# Shortest a cut name or value gets before the line's end is cut instead.
FLOOR = 16

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
    # end is cut), "middle" (secondary names such as senders), "name" (signal
    # and receiver names); both cut in the middle. None: never.
    cut: str | None = None


Line = list[Part]


def render(line: Line, width: int, color: bool) -> str:
    """The line's text, shortened to ``width`` columns, styled if ``color``."""
    parts = fit(line, width)
    if not color:
        return "".join(part.text for part in parts).rstrip()
    return "".join(
        f"\x1b[{SGR[part.style]}m{part.text}\x1b[0m"
        if part.style in SGR and part.text.strip()
        else part.text
        for part in parts
    ).rstrip()


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
        return _take(text, limit - 1) + ELLIPSIS
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
