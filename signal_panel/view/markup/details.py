"""A dispatch's details, opened from its table row or its timeline lane.

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view.markup.shared` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from signal_panel.view.markup.shared import (
    CHIP,
    NOTHING,
    Labels,
    breakable,
    join,
    repeat,
    source,
    traceback,
)
from signal_panel.view.model import Failure
from signal_panel.view.rows import REQUEST_STARTED, CallRow, DispatchRow
from signal_panel.view.tables import GroupRow

# request_started's keyword argument that describes the request.
REQUEST_HANDLES = frozenset({"environ", "scope"})

DETAILS = (
    '<dl class="djdt-sp-facts">'
    "<dt>{signal_label}</dt><dd><code>{signal}</code>"
    ' <span class="djdt-sp-tag">{family}</span>'
    ' <span class="djdt-sp-tag">{method}</span></dd>'
    "<dt>{sender_label}</dt><dd><code>{sender}</code></dd>"
    "<dt>{sent_from_label}</dt><dd>{sent_from}</dd>"
    "{relations}"
    "<dt>{dispatch_label}</dt>"
    "<dd>{when}</dd>"
    "</dl>"
    "{context}"
    "<h5>{kwargs_label}</h5>{kwargs}"
    "<h5>{called_label}</h5>{calls}"
    "{not_called}"
    "{raised}"
)
FACT = "<dt>{}</dt><dd>{}</dd>"
NOT_RECORDED = "<em>{}</em>"
JUMP = (
    '<button type="button" class="djdt-sp-jump" data-sp-target="{parent}">'
    "#{parent} <code>{signal}</code></button>"
)
CONTEXT = '<p class="djdt-sp-context">{}</p>'
KWARGS = '<table class="djdt-sp-kwargs"><tbody>{}</tbody></table>'
KWARG = (
    '<tr><th scope="row"><code>{}</code></th>'
    '<td><code class="djdt-sp-value">{}</code>{}</td></tr>'
)
# Buttons to the toolbar's panels about the request; panel.js hides those
# whose panel the toolbar does not have enabled.
REQUEST_PANELS = (
    ' <span class="djdt-sp-panel-links">'
    '<button type="button" class="djdt-sp-open-panel"'
    ' data-sp-open-panel="RequestPanel">{}</button>'
    ' <button type="button" class="djdt-sp-open-panel"'
    ' data-sp-open-panel="HeadersPanel">{}</button></span>'
)
NONE_TO_SHOW = "<p><em>{}</em></p>"
CALLS = (
    '<table class="djdt-sp-calls"><thead><tr>'
    "<th>{receiver}</th><th>{at}</th><th>{time}</th>"
    "<th>{queries}</th><th>{returned}</th></tr></thead>"
    "<tbody>{calls}</tbody></table>"
)
CALL_CELLS = (
    "<td><code>{name}</code></td>"
    '<td class="djdt-time">{start}&nbsp;ms</td>'
    '<td class="djdt-time">{duration}&nbsp;ms</td>'
    '<td class="djdt-time">{queries}</td>'
)
RETURNED = (
    '<tr class="">'
    + CALL_CELLS
    + '<td><code class="djdt-sp-value">{result}</code></td></tr>'
)
RAISED_IN_CALL = '<tr class="djdt-sp-error">' + CALL_CELLS + "<td>{error}</td></tr>"
ASYNC_NAME = '{} <span class="djdt-sp-tag">async</span>'
QUERIES = "{} <small>({}, {} ms)</small>"
NESTED_QUERIES = '<small title="{}">{}</small>'
TASK_QUERIES = '<small title="{}">{}</small>'
ERROR = '<strong class="djdt-sp-error-text">{}</strong>: {}{}'
NOT_CALLED = '<h5>{}</h5><table class="djdt-sp-not-called"><tbody>{}</tbody></table>'
NOT_CALLED_ROW = "<tr><td><code>{}</code></td><td>{}</td></tr>"
RAISED = (
    '<h5 class="djdt-sp-error-text">{}</h5>'
    '<p><strong class="djdt-sp-error-text">{}</strong>: {}</p>{}'
)


def details(row: DispatchRow, labels: Labels) -> SafeString:
    """Facts, model context, keyword arguments, receivers, and what was raised."""
    return format_html(
        DETAILS,
        signal_label=labels.signal,
        signal=row.signal,
        family=row.family,
        method=row.method,
        sender_label=labels.sender,
        sender=row.sender,
        sent_from_label=labels.sent_from,
        sent_from=_sent_from(row, labels),
        relations=_relations(row, labels),
        dispatch_label=labels.dispatch,
        when=_when(row, labels),
        context=_context(row),
        kwargs_label=labels.kwargs,
        kwargs=_kwargs(row, labels),
        called_label=labels.called,
        calls=_calls(row, labels),
        not_called=_not_called(row, labels),
        raised=_raised(row, labels),
    )


# Facts ----------------------------------------------------------------------------


def _sent_from(row: DispatchRow, labels: Labels) -> SafeString:
    site = row.call_site
    if site is None:
        return format_html(NOT_RECORDED, labels.not_recorded)
    return format_html(
        gettext("{place} in <code>{function}</code>"),
        place=source(site.location),
        function=site.function,
    )


def _when(row: DispatchRow, labels: Labels) -> SafeString:
    """Its number, start and duration; and where its time went that its
    receivers do not explain: the time outside them, and the garbage
    collector's pauses during it. Whole sentences, translated as such."""
    start = labels.number(row.start_ms, 3)
    duration = labels.number(row.duration_ms, 3)
    if row.outside_ms is None:
        return format_html(
            gettext("#{id}, at {start} ms, took {duration} ms"),
            id=row.id,
            start=start,
            duration=duration,
        )
    outside = labels.number(row.outside_ms, 3)
    if not row.gc_ms:
        return format_html(
            gettext(
                "#{id}, at {start} ms, took {duration} ms"
                '<span class="djdt-sp-timing">: outside its receivers'
                " {outside}\N{NO-BREAK SPACE}ms</span>"
            ),
            id=row.id,
            start=start,
            duration=duration,
            outside=outside,
        )
    return format_html(
        gettext(
            "#{id}, at {start} ms, took {duration} ms"
            '<span class="djdt-sp-timing">: outside its receivers'
            " {outside}\N{NO-BREAK SPACE}ms; garbage-collector pauses"
            " {gc}\N{NO-BREAK SPACE}ms</span>"
        ),
        id=row.id,
        start=start,
        duration=duration,
        outside=outside,
        gc=labels.number(row.gc_ms, 3),
    )


def _relations(row: DispatchRow, labels: Labels) -> SafeString:
    """The dispatch it was sent from, those sent from it, its group."""
    facts: list[tuple[SafeString, SafeString | str]] = []
    if row.parent is not None:
        facts.append((labels.inside, _inside(row, labels)))
    if row.thread:
        facts.append((labels.thread, row.thread))
    if row.children:
        nested = ngettext(
            "%(count)s dispatch sent by its receivers",
            "%(count)s dispatches sent by its receivers",
            row.children,
        ) % {"count": row.children}
        facts.append((labels.nested, nested))
    group = row.group_totals
    if group is not None and group.count > 1:
        facts.append((labels.group, _group_text(group, labels)))
    return repeat(FACT, facts)


def _inside(row: DispatchRow, labels: Labels) -> SafeString:
    """A button to the dispatch this one was sent from, if that was kept,
    and the receiver of it that sent this one."""
    if row.parent_signal:
        inside = format_html(JUMP, parent=row.parent, signal=row.parent_signal)
    else:
        inside = conditional_escape(labels.not_kept % {"id": row.parent})
    if row.parent_receiver:
        inside = format_html(
            gettext("{dispatch} from <code>{receiver}</code>"),
            dispatch=inside,
            receiver=row.parent_receiver,
        )
    return inside


def _group_text(group: GroupRow, labels: Labels) -> str:
    return labels.group_totals % {
        "count": group.count,
        "detailed": group.detailed,
        "total": labels.number(group.total_ms, 3),
        "mean": labels.number(group.mean_ms, 3),
        "max": labels.number(group.max_ms, 3),
    }


# Arguments --------------------------------------------------------------------


def _context(row: DispatchRow) -> SafeString:
    """Model-signal fields (``created``, ``update_fields``, ...) as chips."""
    if not row.model_context:
        return NOTHING
    return format_html(CONTEXT, repeat(CHIP, row.model_context))


def _kwargs(row: DispatchRow, labels: Labels) -> SafeString:
    """The keyword arguments the model-context chips above do not show."""
    chips = set(row.model_context)
    rest = [pair for pair in row.kwargs if pair not in chips]
    if not rest:
        return format_html(
            NONE_TO_SHOW, labels.no_other_kwargs if chips else labels.no_kwargs
        )
    return format_html(
        KWARGS,
        repeat(KWARG, [(*pair, _panel_links(row, pair[0], labels)) for pair in rest]),
    )


def _panel_links(row: DispatchRow, key: str, labels: Labels) -> SafeString:
    """Next to request_started's WSGI environ or ASGI scope: the toolbar's
    Request and Headers panels, which show that request in full."""
    if row.signal != REQUEST_STARTED or key not in REQUEST_HANDLES:
        return NOTHING
    return format_html(REQUEST_PANELS, labels.request_panel, labels.headers_panel)


# Receivers --------------------------------------------------------------------


def _calls(row: DispatchRow, labels: Labels) -> SafeString:
    if not row.receivers:
        return format_html(NONE_TO_SHOW, labels.none)
    return format_html(
        CALLS,
        receiver=labels.receiver,
        at=labels.at,
        time=labels.time,
        queries=labels.queries,
        returned=labels.returned,
        calls=join(_call(call, labels) for call in row.receivers),
    )


def _call(call: CallRow, labels: Labels) -> SafeString:
    name = breakable(call.name)
    cells = {
        "name": format_html(ASYNC_NAME, name) if call.is_async else name,
        "start": labels.number(call.start_ms, 3),
        "duration": labels.number(call.duration_ms, 3),
        "queries": _queries(call, labels),
    }
    if call.error:
        return format_html(RAISED_IN_CALL, error=_error(call.error, labels), **cells)
    return format_html(RETURNED, result=call.result, **cells)


def _queries(call: CallRow, labels: Labels) -> SafeString | str:
    """Per database alias: count and time; then those of nested dispatches."""
    if not call.queries and not call.nested_query_count and not call.tasks:
        return "0"
    lines: list[SafeString | str] = [
        format_html(
            QUERIES, queries.count, queries.alias, labels.number(queries.time_ms, 2)
        )
        for queries in call.queries
    ] or ["0"]
    if call.nested_query_count:
        lines.append(
            format_html(
                NESTED_QUERIES,
                labels.nested_queries,
                labels.nested_queries_count
                % {
                    "count": call.nested_query_count,
                    "ms": labels.number(call.nested_query_ms, 2),
                },
            )
        )
    tip = gettext("Run by a task it enqueued, which an immediate backend ran inline")
    lines.extend(
        format_html(
            TASK_QUERIES,
            tip,
            format_html(
                gettext("+{count} in task <code>{task}</code> ({ms} ms)"),
                count=count,
                task=task,
                ms=labels.number(ms, 2),
            ),
        )
        for task, count, ms in call.tasks
        if count
    )
    return join(lines, "<br>")


def _not_called(row: DispatchRow, labels: Labels) -> SafeString:
    if not row.not_called:
        return NOTHING
    entries = [(receiver.name, receiver.reason) for receiver in row.not_called]
    return format_html(
        NOT_CALLED,
        labels.not_called,
        repeat(NOT_CALLED_ROW, entries),
    )


# Exceptions -------------------------------------------------------------------


def _raised(row: DispatchRow, labels: Labels) -> SafeString:
    """The exception that propagated out of the send, if any."""
    error = row.error
    if error is None:
        return NOTHING
    return format_html(
        RAISED,
        labels.raised,
        error.type,
        error.message,
        traceback(error),
    )


def _error(error: Failure, labels: Labels) -> SafeString:
    return format_html(ERROR, error.type, error.message, traceback(error))
