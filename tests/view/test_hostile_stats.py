"""Hostile values in every field of a stats document are shown, never run.

The panel renders whatever document the toolbar's store gives back, so each
field is tried with markup, quotes that would close an attribute,
``javascript:`` URLs, control characters, huge texts and numbers, and values
of the wrong type. Whatever a field holds, the HTML has only the panel's own
elements and attributes, links only to the editor, finite geometry, one inert
JSON block, and the value as text.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.view.render import render_content

SCRIPT = '</script><script>alert("xss")</script>'
ATTRIBUTE = "\" autofocus onfocus=\"alert('xss')\" x='"
JAVASCRIPT = "javascript:alert('xss')"
CONTROL = "a\x00b\x08c\x1b[31md\x7fe\x85f\u202eg\u2066h"
HOSTILE = SCRIPT + ATTRIBUTE + JAVASCRIPT + CONTROL
EDITOR = "vscode://file/{path}:{line}"
STYLESHEET = "/static/signal_panel/panel.css"
# What may never appear in the HTML as it is.
RAW = ("<script>alert", 'onfocus="alert', "\x00", "\x1b", "\u202e")

HUGE = "<&\"'" * 2_500
# Each kind of value goes into every field; a kind of several values gives
# them to the fields in turn.
VALUES = {
    "markup": [HOSTILE],
    "script-url": [JAVASCRIPT, " JavaScript:alert(1)"],
    "numbers": [1e308, -1e308, 10**40, -1, float("inf"), float("nan")],
    "types": [True, None, [HOSTILE, [HOSTILE]], {"name": HOSTILE}, ""],
}


def dispatch(ident: int, group: int, **fields: Any) -> dict[str, Any]:
    """A dispatch of the document, ``fields`` changed."""
    return {
        "id": ident,
        "parent": None,
        "parent_kept": None,
        "group": group,
        "signal": "shop.signals.order_placed",
        "family": "custom",
        "method": "send",
        "sender": "shop.Order",
        "kwargs": [["order", "shop.Order(pk=3)"], ["note", "'gift'"]],
        "model_context": [["created", "True"], ["using", "'default'"]],
        "call_site": ["/src/shop/views.py", 42, "checkout"],
        "start_ms": 1.0 + ident,
        "duration_ms": 0.5,
        "outside_ms": 0.3,
        "gc_ms": 0.25,
        "receivers": [
            {
                "name": "shop.receivers.reserve_stock",
                "is_async": False,
                "start_ms": 1.1 + ident,
                "duration_ms": 0.2,
                "result": "None",
                "error": None,
                "queries": [{"alias": "default", "count": 2, "time_ms": 0.1}],
                "nested_queries": {"count": 1, "time_ms": 0.05},
            }
        ],
        "not_called": [{"name": "shop.receivers.audit", "reason": "for Cart"}],
        "error": None,
        "parent_receiver": None,
        **fields,
    }


FAILING_CALL = {
    "name": "shop.receivers.notify",
    "is_async": True,
    "start_ms": 2.5,
    "duration_ms": 0.1,
    "result": None,
    "error": {
        "type": "builtins.ValueError",
        "message": "no mail server",
        "traceback": [
            [
                "/venv/lib/python3.12/site-packages/django/dispatch/dispatcher.py",
                189,
                "send",
                "response = receiver(signal=self, sender=sender, **named)",
            ],
            ["/src/shop/receivers.py", 7, "notify", "raise ValueError"],
        ],
    },
    "queries": [],
    "nested_queries": {"count": 0, "time_ms": 0.0},
    "task_queries": [{"task": "shop.tasks.notify", "count": 2, "time_ms": 0.3}],
}


def registry() -> list[dict[str, Any]]:
    """The document's registry: receivers of all kinds, a signal without any."""
    return [
        {
            "signal": "shop.signals.order_placed",
            "family": "custom",
            "owner": {"kind": "project", "distribution": None, "version": None},
            "fired": True,
            "receivers": [
                {
                    "name": "shop.receivers.reserve_stock",
                    "file": "/src/shop/receivers.py",
                    "line": 12,
                    "weak": True,
                    "dispatch_uid": "'stock'",
                    "sender": "shop.Order",
                    "is_async": True,
                    "runs": 4,
                    "not_run": None,
                    "count": 12,
                    "owner": {
                        "kind": "package",
                        "distribution": "shop",
                        "version": "1",
                    },
                },
                {
                    "name": "(garbage-collected)",
                    "file": None,
                    "line": None,
                    "weak": False,
                    "dispatch_uid": None,
                    "sender": None,
                    "is_async": False,
                    "runs": 0,
                    "not_run": "dead weak reference",
                    "count": 1,
                    "owner": None,
                },
            ],
            "model_signal": False,
        },
        {
            "signal": "shop.signals.unused",
            "fired": False,
            "receivers": [],
            "model_signal": True,
        },
    ]


def document() -> dict[str, Any]:
    """A document using every field: nesting, folding, errors, links, registry."""
    return {
        "version": 2,
        "summary": {
            "dispatches": 6,
            "detailed": 5,
            "dropped": 1,
            "receivers": 7,
            "receiver_time_ms": 1.5,
            "queries": 8,
            "errors": 1,
            "orphans": 3,
            "span_ms": 12.5,
            "gc_ms": 1.5,
            "request_finished": True,
            "threads_at_end": 1,
            "threads_running": 1,
            "after_end": 2,
        },
        "dispatches": [
            dispatch(
                1,
                0,
                signal="django.core.signals.request_started",
                kwargs=[["environ", "<WSGI environ: GET /shop/?page=2>"]],
                model_context=[],
            ),
            dispatch(
                2,
                1,
                parent=1,
                parent_kept=True,
                parent_receiver="shop.receivers.reserve_stock",
                thread="send-reset-code",
                method="send_robust",
                receivers=[dispatch(0, 0)["receivers"][0], copy.deepcopy(FAILING_CALL)],
                error={
                    "type": "builtins.RuntimeError",
                    "message": "send failed",
                    "traceback": [["/src/shop/views.py", 42, "checkout", "send()"]],
                },
            ),
            dispatch(3, 2, parent=99, parent_kept=False),
            dispatch(
                4,
                2,
                kwargs=[["action", "'post_add'"], ["pk_set", "{1, 2}"]],
                model_context=[["action", "'post_add'"], ["pk_set", "{1, 2}"]],
            ),
            dispatch(5, 2, call_site=None),
        ],
        "groups": [
            {
                "id": group,
                "signal": "shop.signals.order_placed",
                "sender": "shop.Order",
                "receivers": [
                    {
                        "name": "shop.receivers.reserve_stock",
                        "runs": 4,
                        "total_ms": 0.6,
                        "queries": 6,
                        "nested_queries": 1,
                        "task_queries": [
                            {"task": "shop.tasks.reindex", "count": 4, "time_ms": 0.2}
                        ],
                    }
                ],
                "count": 4,
                "detailed": 3,
                "total_ms": 1.0,
                "mean_ms": 0.25,
                "max_ms": 0.5,
                "errors": 1,
            }
            for group in (0, 1, 2)
        ],
        "orphans": [
            {
                "signal": "shop.signals.viewed",
                "sender": "shop.Cart",
                "count": 3,
                "receivers": [
                    {
                        "name": "shop.receivers.track",
                        "reason": "connected for sender shop.Order",
                    }
                ],
            }
        ],
        "findings": [
            {
                "kind": "reentrant_save",
                "title": "Re-entrant save: shop.receivers.touch",
                "detail": "shop.receivers.touch saves shop.Order(pk=3) again",
                "fix": "Use a queryset update()",
                "signal": "django.db.models.signals.post_save",
                "receiver": "shop.receivers.touch",
                "dispatches": [2, 3, 99],
                "owner": {"kind": "project", "distribution": None, "version": None},
            },
            {
                "kind": "sql_per_row",
                "title": "SQL per row in a receiver: shop.receivers.reserve_stock",
                "detail": "shop.receivers.reserve_stock ran 4 times with 6 queries",
                "fix": "Do the work once for all rows",
                "signal": "shop.signals.order_placed",
                "receiver": "shop.receivers.reserve_stock",
                "dispatches": [],
                "owner": {"kind": "package", "distribution": "shop", "version": "2.0"},
            },
        ],
        "failures": ["RuntimeError: the recorder failed"],
        "settings": {
            "max_detailed": 500,
            "detailed_per_group": 10,
            "editor_url": EDITOR,
        },
        "instrumentation": "compiled",
        "process_state": "4242-0123456789ab-7f3a",
        "registry": registry(),
    }


def fields(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in the document, containers and leaves."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from fields(item, (*path, index))


def every_field() -> list[tuple[Any, ...]]:
    """One path per field, e.g. ("dispatches", 1, "sender") for all senders."""
    first: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for path in fields(document()):
        shape = tuple("[]" if isinstance(step, int) else step for step in path)
        first.setdefault(shape, path)
    return list(first.values())


def replaced(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The document with the field at ``path`` holding ``value``."""
    changed = document()
    *parents, last = path
    container: Any = changed
    for step in parents:
        container = container[step]
    container[last] = copy.deepcopy(value)
    return changed


def with_every_text(value: str) -> dict[str, Any]:
    """The document with every text (the version aside) replaced by ``value``."""

    def replace(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: replace(each) for key, each in item.items()}
        if isinstance(item, list):
            return [replace(each) for each in item]
        return value if isinstance(item, str) else item

    return replace(document())


class Page(HTMLParser):
    """The elements, attributes and text of a rendering."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def vocabulary(*documents: dict[str, Any]) -> dict[str, set[str]]:
    """Each element the panel uses, with the attributes it has."""
    used: dict[str, set[str]] = {}
    for each in documents:
        for tag, attrs in Page(render_content(each)).tags:
            used.setdefault(tag, set()).update(attrs)
    return used


def variants() -> list[dict[str, Any]]:
    """The document, and the other branches of the template."""
    return [
        document(),
        replaced(("registry",), None),
        replaced(("registry",), []),
        replaced(("dispatches",), []),
        replaced(("summary", "request_finished"), False),
        {"version": 99},
    ]


PANEL = vocabulary(*variants())
GEOMETRY = re.compile(r"\d+(\.\d+)?%")
# A URL a browser would run, with what browsers drop before the scheme.
SCRIPT_URL = re.compile(
    r"[\x00-\x20]*(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|data|vbscript):", re.I
)


def assert_inert(html: str, links: str | None = "vscode://file/") -> None:
    """Only the panel's own elements and attributes; links only to the editor
    (to URLs starting with ``links``; none if it is None), never to scripts."""
    for raw in RAW:
        assert raw not in html, raw
    page = Page(html)
    for tag, attrs in page.tags:
        assert set(attrs) <= PANEL.get(tag, set()), (tag, attrs)
        if tag == "a":
            assert links is not None and attrs["href"].startswith(links), attrs
            assert not SCRIPT_URL.match(attrs["href"]), attrs
        elif "href" in attrs:
            assert attrs == {"rel": "stylesheet", "href": STYLESHEET}, attrs
        for name in ("x", "width", "x1", "x2"):
            if tag in ("rect", "line") and name in attrs:
                assert GEOMETRY.fullmatch(attrs[name]), (tag, attrs)
        if "data-sp-ms" in attrs:
            assert float(attrs["data-sp-ms"]) < float("inf"), attrs
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts in ([], [{"id": "SignalPanel-stats", "type": "application/json"}])


def test_the_document_is_rendered_in_full():
    html = render_content(document())
    assert_inert(html)
    assert html.count('class="djdt-sp-dispatch ') == 5
    for shown in (
        "djdt-sp-repeats",  # repeats folded
        "djdt-sp-jump",  # a button to the parent
        "not kept in detail",  # a parent not kept
        "djdt-sp-traceback",
        'href="vscode://file//src/shop/views.py:42"',
        "no receivers connected",
        "Recording is incomplete",
    ):
        assert shown in html, shown


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_any_value_in_any_field_is_inert(values):
    paths = every_field()
    assert len(paths) > 100
    for index, path in enumerate(paths):
        value = values[index % len(values)]
        # The editor URL is the developer's own setting: any link it makes is
        # fine, as long as it is no script.
        links = "" if path == ("settings", "editor_url") else "vscode://file/"
        try:
            assert_inert(render_content(replaced(path, value)), links)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from error


def test_huge_texts_everywhere_are_escaped():
    html = render_content(with_every_text(HUGE))
    assert len(html) > 50 * len(HUGE)
    assert_inert(html, links="")
    assert '<&"' not in html and "&lt;&amp;&quot;&#x27;" * 2_500 in html


def test_every_text_hostile_at_once_shows_as_text():
    changed = with_every_text(HOSTILE)
    html = render_content(changed)
    assert_inert(html, links="")
    text = "".join(Page(html).text)
    shown = HOSTILE.translate(
        {0x00: "\\x00", 0x08: "\\x08", 0x1B: "\\x1b", 0x7F: "\\x7f", 0x85: "\\x85"}
        | {0x202E: "\\u202e", 0x2066: "\\u2066"}
    )
    assert text.count(shown) > 50
    # The JSON block is the document itself, unchanged.
    block = re.search(r'type="application/json">(.*?)</script>', html, re.DOTALL)
    assert json.loads(block[1]) == changed


@pytest.mark.parametrize(
    ("editor_url", "path"),
    [
        ("javascript:alert(1)//{path}", "/src/a.py"),
        ("  JaVaScRiPt:alert(1)//{path}", "/src/a.py"),
        ("\tjava\nscript:alert(1)//{path}", "/src/a.py"),
        ("\x01javascript:alert(1)//{path}", "/src/a.py"),
        ("data:text/html,<script>alert(1)</script>{path}", "/src/a.py"),
        ("vbscript:msgbox(1){path}", "/src/a.py"),
        ("{path}", "javascript:alert(1)"),
        ("{path}", " javascript:alert(1)"),
    ],
)
def test_script_urls_are_never_links(editor_url, path):
    changed = document()
    changed["settings"]["editor_url"] = editor_url
    changed["dispatches"][1]["call_site"][0] = path
    changed["registry"][0]["receivers"][0]["file"] = path
    changed["dispatches"][1]["receivers"][1]["error"]["traceback"][0][0] = path
    assert_inert(render_content(changed), links="")  # links, but to no script


def test_file_names_cannot_change_the_link():
    changed = document()
    changed["dispatches"][1]["call_site"][0] = '/src/"><script>?x=1#y .py'
    hrefs = [
        attrs["href"]
        for tag, attrs in Page(render_content(changed)).tags
        if tag == "a" and "djdt-sp-source" in attrs.get("class", "")
    ]
    assert "vscode://file//src/%22%3E%3Cscript%3E%3Fx%3D1%23y%20.py:42" in hrefs


def test_the_document_has_every_field_a_recording_has():
    """A field the recorder adds must be added to :func:`document` too."""
    signal = Signal()

    def failing(sender: Any, **kwargs: Any) -> None:
        raise ValueError("no")

    def nesting(sender: Any, **kwargs: Any) -> str:
        Signal().send(sender=None)
        return "ok"

    signal.connect(failing, weak=False)
    signal.connect(nesting, weak=False)
    with record_signals() as recording:
        signal.send_robust(sender="x", value=1)
    recorded = json.loads(json.dumps(recording.to_stats(with_registry=True)))

    def shape(value: Any) -> set[tuple[Any, ...]]:
        return {
            tuple("[]" if isinstance(step, int) else step for step in path)
            for path in fields(value)
        }

    assert shape(recorded) <= shape(document())
