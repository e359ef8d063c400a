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

import os
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, TextIO

from signal_panel.stats import VERSION

WIDTH = 100
# Lines listed per summary block (groups beyond the cap, orphans, failures).
MAX_LISTED = 10
# Indentation levels (two columns each; a nested dispatch is two levels
# deeper than its parent). Deeper rows stay there, prefixed with their depth.
MAX_INDENT = 16
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
TIMES = "\N{MULTIPLICATION SIGN}"
# Shortest a cut name or value gets before the line's end is cut instead.
FLOOR = 16
# Model-signal fields shown on a dispatch's line, and values not worth showing.
CONTEXT_SHOWN = {
    "created": (),
    "action": (),
    "update_fields": ("None",),
    "pk_set": ("None",),
    "raw": ("False",),
    "using": ("'default'",),
}
# Receivers whose start falls within this margin of another's end (times are
# rounded to the microsecond) are not told apart.
ROUNDING_MS = 0.0015

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


class Row(NamedTuple):
    """A line of the tree, with its two time columns."""

    start: float | None
    duration: float | None
    level: int
    parts: Line


class Document:
    """The parts of a stats document the text uses, each of the expected type."""

    def __init__(self, stats: Mapping[str, Any], width: int = WIDTH) -> None:
        self.width = width
        self.version = stats.get("version")
        self.summary = _mapping(stats.get("summary"))
        self.dispatches = _mappings(stats.get("dispatches"))
        self.groups = _mappings(stats.get("groups"))
        self.orphans = _mappings(stats.get("orphans"))
        self.failures = [clean(f) for f in _list(stats.get("failures"))]


def format_stats(
    stats: Mapping[str, Any],
    *,
    color: bool = False,
    width: int = WIDTH,
    title: str | None = None,
) -> str:
    """The text of a stats document; see the module's docstring."""
    document = Document(stats if isinstance(stats, Mapping) else {}, width)
    lines: list[Line] = [[Part(clean(title), "title", "end")]] if title else []
    for section in SECTIONS:
        lines.extend(section(document))
    return "\n".join(render(line, width, color) for line in lines)


def wants_color(stream: TextIO | Any) -> bool:
    """Colour for a stream: a terminal, unless ``NO_COLOR`` is set or TERM is dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # Closed or detached streams.
        return False


# Sections ---------------------------------------------------------------------


def version_note(document: Document) -> list[Line]:
    if document.version in (None, VERSION):
        return []
    return [
        [
            Part(
                f"(a version {clean(document.version)} stats document; this "
                f"signal_panel reads version {VERSION}: shown as far as understood)",
                "warning",
                "end",
            )
        ]
    ]


def summary(document: Document) -> list[Line]:
    numbers = document.summary
    dispatches = _int(numbers.get("dispatches"), len(document.dispatches))
    detailed = _int(numbers.get("detailed"), len(document.dispatches))
    queries = _int(
        numbers.get("queries"),
        sum(_int(r.get("queries")) for g in document.groups for r in _receivers(g)),
    )
    items = [plural(dispatches, "dispatch", "dispatches")]
    if detailed != dispatches:
        items[0] += f" ({detailed} in detail)"
    if dispatches:
        runs = plural(_int(numbers.get("receivers")), "receiver")
        took = _ms(numbers.get("receiver_time_ms"))
        items.append(f"{runs} taking {took} ms" if took is not None else runs)
        items.append(plural(queries, "query", "queries"))
    errors = _int(numbers.get("errors"))
    if errors:
        items.append(plural(errors, "error"))
    orphans = _int(numbers.get("orphans"))
    if orphans:
        items.append(plural(orphans, "send") + " with no receivers")
    span = _ms(numbers.get("span_ms"))
    if span is not None:
        items.append(f"{span} ms in all")
    if not dispatches and not orphans:
        return [[Part("No signal was sent.", "title")]]
    # Wrapped at the commas, not cut: every number counts.
    lines = [f"Signals: {items[0]}"]
    for item in items[1:]:
        if columns(lines[-1]) + 2 + columns(item) + 1 > document.width:
            lines[-1] += ","
            lines.append(f"  {item}")
        else:
            lines[-1] += f", {item}"
    return [[Part(text, "title", "end")] for text in lines]


def tree(document: Document) -> list[Line]:
    """One row per detailed dispatch and per receiver, nested as they ran."""
    rows = list(_tree_rows(document.dispatches))
    if not rows:
        return []
    starts = [_fmt_ms(row.start) for row in rows]
    durations = [_fmt_ms(row.duration) for row in rows]
    start_width = max(len("start ms"), *map(len, starts))
    duration_width = max(len("took ms"), *map(len, durations))
    lines = [
        [Part(f"{'start ms':>{start_width}}  {'took ms':>{duration_width}}", "muted")]
    ]
    for row, start, duration in zip(rows, starts, durations, strict=True):
        level = min(row.level, MAX_INDENT)
        prefix = [
            Part(f"{start:>{start_width}}  {duration:>{duration_width}}  ", "time")
        ]
        prefix.append(Part("  " * level))
        if row.level > MAX_INDENT:
            prefix.append(Part(f"[{row.level // 2}] ", "muted"))
        lines.append(prefix + row.parts)
    return lines


def beyond_cap(document: Document) -> list[Line]:
    """Groups with more dispatches than were kept in detail, slowest first:
    their numbers (sends, kept in detail, total and slowest time, errors if
    any), then the signal and sender."""
    groups = [
        g
        for g in document.groups
        if _int(g.get("count")) > _int(g.get("detailed"), _int(g.get("count")))
    ]
    if not groups:
        return []
    groups.sort(key=lambda g: -(_number(g.get("total_ms")) or 0.0))
    listed = groups[:MAX_LISTED]
    any_errors = any(_int(g.get("errors")) for g in listed)
    columns_ = ("sends", "kept", "total ms", "max ms") + (("errors",) * any_errors)
    cells = [
        (
            str(_int(g.get("count"))),
            str(_int(g.get("detailed"))),
            _ms(g.get("total_ms")) or "",
            _ms(g.get("max_ms")) or "",
        )
        + ((str(_int(g.get("errors"))),) * any_errors)
        for g in listed
    ]
    widths = [
        max(len(name), *(len(row[i]) for row in cells))
        for i, name in enumerate(columns_)
    ]
    header = "  ".join(
        f"{name:>{width}}" for name, width in zip(columns_, widths, strict=True)
    )
    lines = [
        [Part("Counted only, beyond the detail cap:", "title")],
        [Part(f"  {header}", "muted")],
    ]
    for group, row in zip(listed, cells, strict=True):
        numbers = "  ".join(
            f"{cell:>{width}}" for cell, width in zip(row, widths, strict=True)
        )
        style = "error" if _int(group.get("errors")) else "time"
        lines.append([Part(f"  {numbers}  ", style), *_signal_and_sender(group)])
    lines.extend(_more(len(groups)))
    return lines


def orphans(document: Document) -> list[Line]:
    """Sends that found no receiver: one line per signal, most frequent first."""
    by_signal: dict[str, dict[str, int]] = {}
    for orphan in document.orphans:
        senders = by_signal.setdefault(clean(orphan.get("signal")) or "?", {})
        # Senders alike in name (e.g. the models migrations build) add up.
        sender = clean(orphan.get("sender"))
        senders[sender] = senders.get(sender, 0) + _int(orphan.get("count"))
    if not by_signal:
        return []
    ranked = sorted(by_signal.items(), key=lambda item: -sum(item[1].values()))
    lines = [[Part("Sent with no receivers:", "title")]]
    for signal, senders in ranked[:MAX_LISTED]:
        total = sum(senders.values())
        listed = sorted(senders.items(), key=lambda item: -item[1])
        lines.append(
            [
                Part("  "),
                Part(signal, "signal", "name"),
                Part(f"  {plural(total, 'send')}: ", "muted"),
                Part(
                    ", ".join(f"{name} {TIMES}{count}" for name, count in listed),
                    None,
                    "end",
                ),
            ]
        )
    lines.extend(_more(len(ranked)))
    return lines


def failures(document: Document) -> list[Line]:
    if not document.failures:
        return []
    lines = [
        [
            Part(
                "The recording is incomplete: the recorder failed "
                f"{plural(len(document.failures), 'time')} "
                "(the recorded code was not affected):",
                "error",
                "end",
            )
        ]
    ]
    for failure in document.failures[:MAX_LISTED]:
        lines.append([Part("  "), Part(failure, "error", "end")])
    lines.extend(_more(len(document.failures)))
    return lines


SECTIONS: tuple[Callable[[Document], list[Line]], ...] = (
    version_note,
    summary,
    tree,
    beyond_cap,
    orphans,
    failures,
)


# The tree ---------------------------------------------------------------------


def _tree_rows(dispatches: list[Mapping[str, Any]]) -> Iterable[Row]:
    """Rows in depth-first order, without recursion (chains can be long)."""
    by_id = {d.get("id"): d for d in dispatches if d.get("id") is not None}
    children: dict[Any, list[Mapping[str, Any]]] = {}
    roots = []
    for dispatch in dispatches:
        parent = dispatch.get("parent")
        if parent in by_id and by_id[parent] is not dispatch:
            children.setdefault(parent, []).append(dispatch)
        else:
            roots.append(dispatch)
    shown: set[int] = set()
    # Dispatches stuck in a cycle of parents (a damaged document) come last.
    pending: list[Row | tuple[Mapping[str, Any], int]] = [
        (d, 0 if d.get("parent") is None else 2) for d in reversed(roots + dispatches)
    ]
    while pending:
        item = pending.pop()
        if isinstance(item, Row):
            yield item
            continue
        dispatch, level = item
        if id(dispatch) in shown:
            continue
        shown.add(id(dispatch))
        pending.extend(reversed(_dispatch_rows(dispatch, level, children)))


def _dispatch_rows(
    dispatch: Mapping[str, Any],
    level: int,
    children: Mapping[Any, list[Mapping[str, Any]]],
) -> list[Row | tuple[Mapping[str, Any], int]]:
    """A dispatch's row, its receivers' with the dispatches each sent, and
    the receivers not called; nested dispatches that cannot be placed under
    one receiver (concurrent async receivers) follow at the end."""
    calls = _receivers(dispatch)
    kids = children.get(dispatch.get("id"), [])
    placed: list[list[Mapping[str, Any]]] = [[] for _ in calls]
    unplaced = []
    for kid in kids:
        owners = _running_at(calls, _number(kid.get("start_ms")))
        if len(owners) == 1:
            placed[owners[0]].append(kid)
        else:
            unplaced.append(kid)
    rows: list[Row | tuple[Mapping[str, Any], int]] = [
        Row(
            _number(dispatch.get("start_ms")),
            _number(dispatch.get("duration_ms")),
            level,
            _dispatch_parts(dispatch),
        )
    ]
    for call, nested in zip(calls, placed, strict=True):
        rows.append(
            Row(
                _number(call.get("start_ms")),
                _number(call.get("duration_ms")),
                level + 1,
                _call_parts(call),
            )
        )
        rows.extend((kid, level + 2) for kid in nested)
    for parts in _not_called_lines(_list(dispatch.get("not_called"))):
        rows.append(Row(None, None, level + 1, parts))
    rows.extend((kid, level + 2) for kid in unplaced)
    return rows


def _running_at(calls: list[Mapping[str, Any]], moment: float | None) -> list[int]:
    if moment is None:
        return []
    found = []
    for index, call in enumerate(calls):
        start = _number(call.get("start_ms"))
        duration = _number(call.get("duration_ms")) or 0.0
        if start is not None and start - ROUNDING_MS <= moment <= start + duration:
            found.append(index)
    return found


def _dispatch_parts(dispatch: Mapping[str, Any]) -> Line:
    parts = _signal_and_sender(dispatch)
    method = clean(dispatch.get("method") or "send")
    if method != "send":
        parts.append(Part(f"  [{method}]", "method"))
    context = [
        f"{clean(pair[0])}={clean(pair[1])}"
        for pair in _list(dispatch.get("model_context"))
        if isinstance(pair, list | tuple)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and pair[0] in CONTEXT_SHOWN
        and pair[1] not in CONTEXT_SHOWN[pair[0]]
    ]
    if context:
        parts.append(Part("  " + " ".join(context), "muted", "end"))
    if dispatch.get("parent") is not None and dispatch.get("parent_kept") is False:
        parts.append(
            Part("  (sent inside a dispatch not kept in detail)", "muted", "end")
        )
    error = _mapping(dispatch.get("error"))
    if error:
        parts.append(Part("  raised ", "error"))
        parts.append(Part(_error_text(error), "error", "end"))
    return parts


def _call_parts(call: Mapping[str, Any]) -> Line:
    error = _mapping(call.get("error"))
    parts = [
        Part("! " if error else "> ", "error" if error else "muted"),
        Part(clean(call.get("name")), "name", "name"),
    ]
    if call.get("is_async") is True:
        parts.append(Part(" (async)", "muted"))
    queries = sum(_int(q.get("count")) for q in _mappings(call.get("queries")))
    nested = _int(_mapping(call.get("nested_queries")).get("count"))
    if queries or nested:
        text = "  " + plural(queries, "query", "queries")
        parts.append(Part(text + (f" (+{nested} nested)" if nested else ""), "muted"))
    if error:
        parts.append(Part("  "))
        parts.append(Part(_error_text(error), "error", "end"))
    elif "result" in call:
        parts.append(Part("  -> ", "muted"))
        parts.append(Part(clean(call.get("result")), None, "end"))
    return parts


def _not_called_lines(entries: list[Any]) -> list[Line]:
    """A line per receiver not called; receivers sharing a reason share a line
    (typically the many connected for other senders of a model signal)."""
    by_reason: dict[str, list[str]] = {}
    for entry in entries:
        entry = entry if isinstance(entry, Mapping) else {"name": entry}
        by_reason.setdefault(clean(entry.get("reason")), []).append(
            clean(entry.get("name"))
        )
    lines = []
    for reason, names in by_reason.items():
        why = f": {reason}" if reason else ""
        if len(names) == 1:
            lines.append(
                [
                    Part("- ", "warning"),
                    Part(names[0], "warning", "name"),
                    Part(f"  not called{why}", "muted", "end"),
                ]
            )
        else:
            lines.append(
                [
                    Part("- ", "warning"),
                    Part(f"{len(names)} not called{why}: ", "muted"),
                    Part(", ".join(names), "warning", "end"),
                ]
            )
    return lines


def _signal_and_sender(item: Mapping[str, Any]) -> Line:
    return [
        Part(clean(item.get("signal")) or "?", "signal", "name"),
        Part("  sender=", "muted"),
        Part(clean(item.get("sender")), None, "middle"),
    ]


def _error_text(error: Mapping[str, Any]) -> str:
    kind = clean(error.get("type")) or "Exception"
    kind = kind.removeprefix("builtins.")
    message = clean(error.get("message"))
    return f"{kind}: {message}" if message else kind


def _more(total: int) -> list[Line]:
    if total <= MAX_LISTED:
        return []
    return [[Part(f"  … and {total - MAX_LISTED} more", "muted")]]


# Lines ------------------------------------------------------------------------


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


# Reading the document ---------------------------------------------------------


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _receivers(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _mappings(item.get("receivers"))


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _int(value: Any, default: int = 0) -> int:
    number = _number(value)
    return int(number) if number is not None else default


def _ms(value: Any) -> str | None:
    number = _number(value)
    return f"{number:.3f}" if number is not None else None


def _fmt_ms(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else ""
