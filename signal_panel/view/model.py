"""The panel's view model: plain, typed data read from a stats document.

Everything here comes from the JSON document alone (the History panel
re-renders old requests from the store with nothing else) and tolerates
documents of any shape: a missing field, or one of the wrong type, reads as
empty text, zero or nothing. Text shows control characters and bidirectional
overrides as escapes (``\x1b``, ``\u202e``), so what is shown is what was
recorded. No HTML is made here: the templates and
:mod:`signal_panel.view.markup` escape each value as they put it into markup.

This module holds what the whole page shares: reading the document, the
timeline's scale, ticks and families, source links and tracebacks.
:mod:`signal_panel.view.rows` builds the dispatch rows from them, and
:mod:`signal_panel.view.tables` the Groups and Registry tabs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import quote

from signal_panel.analysis.reading import (
    Document,
    items,
    mapping,
    number,
    objects,
)
from signal_panel.conf import is_safe_editor_url
from signal_panel.sources.signal_names import signal_family
from signal_panel.view.paths import Roots, is_machinery, short_path

# Families in the order their toggles are shown; the noisy ones start hidden.
FAMILIES = (
    "request",
    "model",
    "database",
    "auth",
    "framework",
    "custom",
    "third-party",
)
HIDDEN_BY_DEFAULT = frozenset({"framework"})
# Narrowest bars drawn, in percent of the timeline, so that 5 µs stays visible.
MIN_BAR = 0.25
MIN_SUB_BAR = 0.15
# Characters that are invisible or reorder the text around them: C0 and C1
# controls but tab and line breaks, DEL, bidirectional overrides and isolates.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


# A described list, tuple, set or dict ("set({1, 2})"): its opening bracket.
CONTAINER = re.compile(r"(?:[A-Za-z_]\w*\()?[\[{(]")
# The last item of a container described with only its first items.
MORE = re.compile(r"… \(\+(\d+)\)")


# Reading the document ---------------------------------------------------------


def text(value: object) -> str:
    """``value`` as text, its invisible characters escaped; ``None`` as ""."""
    if value is None:
        return ""
    string = value if isinstance(value, str) else str(value)
    if string.isprintable():
        return string
    return INVISIBLE.sub(_escape_invisible, string)


def _escape_invisible(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def pairs(value: object) -> tuple[tuple[str, str], ...]:
    """``[[key, value], ...]`` as text pairs; entries of other shapes are skipped."""
    return tuple(
        (text(pair[0]), text(pair[1]))
        for pair in items(value)
        if isinstance(pair, list | tuple) and len(pair) >= 2
    )


def ident(value: object) -> str | None:
    """A dispatch or group id as text, to key and to show; ``None`` stays None."""
    return None if value is None else text(value)


def item_count(described: str) -> str | None:
    """How many items a described container holds ("{1, 2}", "set({1, 2, …
    (+5)})", "[]"), as text: "2", "7", or "10+" when the text was cut short;
    None when it is no container (``None``)."""
    match = CONTAINER.match(described)
    if match is None:
        return None
    entries: list[str] = []
    depth, quote, current, closed = 0, "", "", False
    for char in described[match.end() :]:
        if quote:
            quote = "" if char == quote and not current.endswith("\\") else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if not depth:
                closed = True
                break
            depth -= 1
        elif char == "," and not depth:
            entries.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        entries.append(current.strip())
    more = MORE.fullmatch(entries[-1]) if entries else None
    if more:
        return str(len(entries) - 1 + int(more.group(1)))
    if not closed:
        return f"{max(len(entries) - 1, 0)}+"
    return str(len(entries))


def family_of(document: Document, signal: str) -> str:
    """The family the document gives, else the one of the signal's name."""
    return text(document.get("family")) or signal_family(signal)


# The timeline -----------------------------------------------------------------


@dataclass(slots=True)
class Tick:
    """A label on the time axis."""

    x: str
    anchor: str
    label: str


@dataclass(slots=True)
class Bar:
    """A bar on the timeline: left edge and width as SVG percentages ("12.500%").

    Preformatted here so that no number in an attribute is ever localized.
    """

    x: str
    width: str


@dataclass(slots=True)
class Scale:
    """The timeline, from 0 ms to ``end_ms``: maps times to percent of it."""

    end_ms: float

    @classmethod
    def of(cls, stats: Document) -> Scale:
        """The request's span, or the end of the latest dispatch or receiver."""
        end = number(mapping(stats.get("summary")).get("span_ms"))
        for dispatch in objects(stats.get("dispatches")):
            end = max(end, _end(dispatch))
            for call in objects(dispatch.get("receivers")):
                end = max(end, _end(call))
        return cls(end)

    def percent(self, ms: float) -> float:
        return min(max(100 * ms / max(self.end_ms, 0.001), 0.0), 100.0)

    def bar(self, start_ms: float, duration_ms: float, minimum: float) -> Bar:
        """At least ``minimum`` wide, inside 0 to 100."""
        x = self.percent(start_ms)
        width = max(self.percent(start_ms + duration_ms) - x, minimum)
        return Bar(f"{min(x, 100.0 - width):.3f}%", f"{width:.3f}%")

    def ticks(self) -> list[Tick]:
        """Five labels along the time axis, 0 to the end of the request."""
        anchors = ("start", "middle", "middle", "middle", "end")
        places = 1 if self.end_ms >= 10 else 2
        return [
            Tick(f"{index * 25}%", anchor, f"{self.end_ms * index / 4:.{places}f} ms")
            for index, anchor in enumerate(anchors)
        ]


def _end(item: Document) -> float:
    return number(item.get("start_ms")) + number(item.get("duration_ms"))


@dataclass(slots=True)
class Family:
    """A family toggle: how many rows it has, and whether it starts shown."""

    name: str
    count: int
    shown: bool


def families(names: Iterable[str]) -> list[Family]:
    """The families present among ``names``, in toggle order, with counts."""
    counts = dict.fromkeys(FAMILIES, 0)
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return [
        Family(name, count, name not in HIDDEN_BY_DEFAULT)
        for name, count in counts.items()
        if count
    ]


# Source locations -------------------------------------------------------------


def editor_link(template: object, path: object, line: object) -> str | None:
    """``SIGNAL_PANEL["EDITOR_URL"]`` with ``{path}`` and ``{line}`` filled in.

    The path is percent-encoded, so a recorded file name cannot add a query
    or markup; the line is a number or nothing; invisible characters of the
    template are percent-encoded too. The link must pass the setting's own
    check (:func:`signal_panel.conf.is_safe_editor_url`: an editor's scheme,
    file, http(s), or relative) as the browser would read it, so neither the
    template nor a file name (a template of ``{path}``) can make it a
    ``javascript:`` or ``data:`` URL.
    """
    if not isinstance(template, str) or not isinstance(path, str) or not path:
        return None
    line_text = (
        str(line) if isinstance(line, int) and not isinstance(line, bool) else ""
    )
    url = template.replace("{path}", quote(path, safe="/:\\")).replace(
        "{line}", line_text
    )
    if not is_safe_editor_url(url):
        return None
    return INVISIBLE.sub(lambda match: quote(match.group()), url)


@dataclass(slots=True)
class Location:
    """A place in a source file: shown short, the full path on hover, and
    the editor link (made with the full path) if one is configured."""

    path: str
    short: str
    line: str
    url: str | None

    @property
    def where(self) -> str:
        return f"{self.short}:{self.line}" if self.line else self.short

    @property
    def full(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Sources:
    """How this rendering shows source files: the editor URL and the roots
    that paths are shown relative to."""

    editor_url: object
    roots: Roots

    @classmethod
    def of(cls, stats: Document) -> Sources:
        return cls(mapping(stats.get("settings")).get("editor_url"), Roots.now())

    def locate(self, path: object, line: object) -> Location:
        shown = text(path)
        return Location(
            shown,
            short_path(shown, self.roots),
            text(line or None),
            editor_link(self.editor_url, path, line),
        )


@dataclass(slots=True)
class Frame:
    """A traceback frame."""

    location: Location
    function: str
    code: str


def frames(traceback: object, sources: Sources) -> tuple[Frame, ...]:
    """``[[file, line, function, source], ...]``; shorter entries are skipped."""
    return tuple(
        Frame(
            sources.locate(frame[0], frame[1]),
            text(frame[2]),
            text(frame[3]) if len(frame) > 3 else "",
        )
        for frame in items(traceback)
        if isinstance(frame, list | tuple) and len(frame) >= 3
    )


@dataclass(slots=True)
class Failure:
    """An exception: raised by a receiver, or out of a send."""

    type: str
    message: str
    frames: tuple[Frame, ...]

    @property
    def machinery(self) -> int:
        """How many leading frames are the dispatch machinery's (Django's
        dispatcher, asgiref, the recorder): folded away, as the toolbar's SQL
        panel hides its own frames; 0 when every frame is (all are shown)."""
        for index, frame in enumerate(self.frames):
            if not is_machinery(frame.location.short):
                return index
        return 0


def is_error(error: object) -> TypeGuard[dict[str, Any]]:
    """Whether ``error`` is a recorded exception: what :func:`failure` shows."""
    return isinstance(error, dict) and bool(error)


def failure(error: object, sources: Sources) -> Failure | None:
    """The recorded ``{"type", "message", "traceback"}``, if there is one."""
    if not is_error(error):
        return None
    return Failure(
        text(error.get("type")),
        text(error.get("message")),
        frames(error.get("traceback"), sources),
    )
