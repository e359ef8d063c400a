"""The tree: one row per detailed dispatch and per receiver, nested as they ran.

A dispatch sent by a receiver sits under that receiver (placed by time; when
concurrent async receivers make that ambiguous, after them all), as in the
panel's timeline. A dispatch whose parent was not kept in detail is indented
one level, as there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from signal_panel.analysis.reading import finite, items, mapping, objects, whole
from signal_panel.report.document import ReportData, ms_text, receivers_of
from signal_panel.report.lines import Line, Part, clean, plural

# Indentation levels (two columns each; a nested dispatch is two levels
# deeper than its parent). Deeper rows stay there, prefixed with their depth.
MAX_INDENT = 16
# Model-signal fields shown on a dispatch's line, and values not worth showing.
CONTEXT_SHOWN = {
    "created": (),
    "action": (),
    "update_fields": ("None",),
    "pk_set": ("None",),
    "raw": ("False",),
    "using": ("'default'",),
}
# Times are rounded to the microsecond: a dispatch may seem to start this
# much before the receiver that sent it.
ROUNDING_MS = 0.0015


class TreeRow(NamedTuple):
    """A line of the tree, with its two time columns."""

    start: float | None
    duration: float | None
    level: int
    parts: Line
    # The first row of a dispatch at the top of the tree.
    top: bool = False


def tree(document: ReportData) -> list[Line]:
    """One row per detailed dispatch and per receiver, nested as they ran."""
    rows = list(_tree_rows(document.dispatches))
    if not rows:
        return []
    starts = [(ms_text(row.start) or "") for row in rows]
    durations = [(ms_text(row.duration) or "") for row in rows]
    start_width = max(len("start ms"), *map(len, starts))
    duration_width = max(len("took ms"), *map(len, durations))
    lines = [
        [Part(f"{'start ms':>{start_width}}  {'took ms':>{duration_width}}", "muted")]
    ]
    markers = list(document.markers)
    blank = " " * (start_width + 2 + duration_width + 2)
    for row, start, duration in zip(rows, starts, durations, strict=True):
        # The last marker passed: one with nothing after it says nothing.
        label = None
        while markers and row.top and markers[0][0] <= (row.start or 0.0):
            label = markers.pop(0)[1]
        if label is not None:
            lines.append([Part(blank), Part(f"-- {clean(label)} --", "title")])
        level = min(row.level, MAX_INDENT)
        prefix = [
            Part(f"{start:>{start_width}}  {duration:>{duration_width}}  ", "time")
        ]
        prefix.append(Part("  " * level))
        if row.level > MAX_INDENT:
            prefix.append(Part(f"[{row.level // 2}] ", "muted"))
        lines.append(prefix + row.parts)
    return lines


def _tree_rows(dispatches: list[Mapping[str, Any]]) -> Iterable[TreeRow]:
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
    pending: list[TreeRow | tuple[Mapping[str, Any], int]] = [
        (d, 0 if d.get("parent") is None else 2) for d in reversed(roots + dispatches)
    ]
    tops = len(pending)  # The bottom of the stack: the top of the tree.
    while pending:
        top = len(pending) <= tops
        item = pending.pop()
        tops -= top
        if isinstance(item, TreeRow):
            yield item
            continue
        dispatch, level = item
        if id(dispatch) in shown:
            continue
        shown.add(id(dispatch))
        first, rest = _dispatch_rows(dispatch, level, children)
        pending.extend(reversed(rest))
        yield first._replace(top=top)


def _dispatch_rows(
    dispatch: Mapping[str, Any],
    level: int,
    children: Mapping[Any, list[Mapping[str, Any]]],
) -> tuple[TreeRow, list[TreeRow | tuple[Mapping[str, Any], int]]]:
    """A dispatch's row, its receivers' with the dispatches each sent, and
    the receivers not called; nested dispatches that cannot be placed under
    one receiver (concurrent async receivers) follow at the end."""
    calls = receivers_of(dispatch)
    kids = children.get(dispatch.get("id"), [])
    placed: list[list[Mapping[str, Any]]] = [[] for _ in calls]
    unplaced = []
    for kid in kids:
        owners = _running_at(calls, finite(kid.get("start_ms")))
        if len(owners) == 1:
            placed[owners[0]].append(kid)
        else:
            unplaced.append(kid)
    head = TreeRow(
        finite(dispatch.get("start_ms")),
        finite(dispatch.get("duration_ms")),
        level,
        _dispatch_parts(dispatch),
    )
    rows: list[TreeRow | tuple[Mapping[str, Any], int]] = []
    for call, nested in zip(calls, placed, strict=True):
        rows.append(
            TreeRow(
                finite(call.get("start_ms")),
                finite(call.get("duration_ms")),
                level + 1,
                _call_parts(call),
            )
        )
        rows.extend((kid, level + 2) for kid in nested)
    for parts in _not_called_lines(items(dispatch.get("not_called"))):
        rows.append(TreeRow(None, None, level + 1, parts))
    rows.extend((kid, level + 2) for kid in unplaced)
    return head, rows


def _running_at(calls: list[Mapping[str, Any]], moment: float | None) -> list[int]:
    if moment is None:
        return []
    found = []
    for index, call in enumerate(calls):
        start = finite(call.get("start_ms"))
        duration = finite(call.get("duration_ms")) or 0.0
        if start is not None and start - ROUNDING_MS <= moment <= start + duration:
            found.append(index)
    return found


def _dispatch_parts(dispatch: Mapping[str, Any]) -> Line:
    parts = signal_and_sender(dispatch)
    method = clean(dispatch.get("method") or "send")
    if method != "send":
        parts.append(Part(f"  [{method}]", "method"))
    thread = clean(dispatch.get("thread"))
    if thread:
        parts.append(Part(f"  in thread {thread}", "muted", "end"))
    context = [
        f"{clean(pair[0])}={clean(pair[1])}"
        for pair in items(dispatch.get("model_context"))
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
    error = mapping(dispatch.get("error"))
    if error:
        parts.append(Part("  raised ", "error"))
        parts.append(Part(_error_text(error), "error", "end"))
    return parts


def _call_parts(call: Mapping[str, Any]) -> Line:
    error = mapping(call.get("error"))
    parts = [
        Part("! " if error else "> ", "error" if error else "muted"),
        Part(clean(call.get("name")), "name", "name"),
    ]
    if call.get("is_async") is True:
        parts.append(Part(" (async)", "muted"))
    queries = sum(whole(q.get("count")) for q in objects(call.get("queries")))
    nested = whole(mapping(call.get("nested_queries")).get("count"))
    tasks = sum(whole(q.get("count")) for q in objects(call.get("task_queries")))
    if queries or nested or tasks:
        text = "  " + plural(queries, "query", "queries")
        text += f" (+{nested} nested)" if nested else ""
        parts.append(Part(text + (f" (+{tasks} in tasks)" if tasks else ""), "muted"))
    if error:
        parts.append(Part("  "))
        parts.append(Part(_error_text(error), "error", "end"))
    elif "result" in call:
        parts.append(Part("  -> ", "muted"))
        parts.append(Part(clean(call.get("result")), None, "end"))
    return parts


def _not_called_lines(entries: Sequence[Any]) -> list[Line]:
    """A line per receiver not called; receivers sharing a reason share a line
    (typically the many connected for other senders of a model signal). The
    reason is wrapped, never cut."""
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
                    Part(f"  not called{why}", "muted", "wrap"),
                ]
            )
        else:
            # Wrapped, reason and names: a long list ends with an ellipsis
            # after a whole name.
            listed = ", ".join(names)
            lines.append(
                [
                    Part("- ", "warning"),
                    Part(f"{len(names)} not called{why}: {listed}", "muted", "wrap"),
                ]
            )
    return lines


def signal_and_sender(item: Mapping[str, Any]) -> Line:
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
