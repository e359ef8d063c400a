"""The panel's HTML as the server renders it, before any browser sees it.

CSP-safe (no inline styles, scripts or handlers), escaped, and built from the
stats document alone, old or new.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.view.render import build_context, render_content

PAYLOAD = '</script><img src=x onerror="alert(1)"><script>alert(2)</script>&amp;'
payload_signal = Signal()
outer_signal = Signal()


def noisy_receiver(sender: Any, **kwargs: Any) -> str:
    return PAYLOAD


def failing_receiver(sender: Any, **kwargs: Any) -> None:
    raise ValueError(PAYLOAD)


def nesting_receiver(sender: Any, **kwargs: Any) -> None:
    payload_signal.send_robust(sender=PAYLOAD, note=PAYLOAD)


@pytest.fixture
def stats() -> Iterator[dict[str, Any]]:
    payload_signal.connect(noisy_receiver, weak=False)
    payload_signal.connect(failing_receiver, weak=False)
    outer_signal.connect(nesting_receiver, weak=False)
    try:
        with record_signals() as recording:
            outer_signal.send(sender="outer")
            for _ in range(3):
                payload_signal.send_robust(sender=PAYLOAD, note=PAYLOAD)
        yield json.loads(json.dumps(recording.to_stats()))
    finally:
        payload_signal.disconnect(noisy_receiver)
        payload_signal.disconnect(failing_receiver)
        outer_signal.disconnect(nesting_receiver)


class Tags(HTMLParser):
    """Every start tag of a document, with its attributes."""

    def __init__(self, content: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(content)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def embedded_json(content: str) -> str:
    match = re.search(
        r'<script id="SignalPanel-stats" type="application/json">(.*?)</script>',
        content,
        re.DOTALL,
    )
    assert match, "no stats data block"
    return match.group(1)


def test_no_inline_styles_scripts_or_handlers(stats):
    content = render_content(stats)
    tags = Tags(content).tags
    assert len(tags) > 100
    for tag, attrs in tags:
        assert tag != "style"
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for value in attrs.values():
            assert not (value or "").strip().lower().startswith("javascript:")
    # The one <script> is the inert JSON data block.
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts == [{"id": "SignalPanel-stats", "type": "application/json"}]
    assert '<link rel="stylesheet" href="/static/signal_panel/panel.css">' in content


def test_recorded_values_are_escaped(stats):
    content = render_content(stats)
    assert "<img" not in content
    assert "&lt;img src=x onerror=" in content
    assert "alert(2)" in content  # shown, as text
    # The JSON block cannot be closed early, and reads back as the document.
    block = embedded_json(content)
    assert "</" not in block and "<" not in block
    assert json.loads(block) == stats


def test_errors_and_nesting(stats):
    context = build_context(stats)
    rows = context["dispatches"]
    outer, nested, *repeats = rows
    assert outer.depth == 0 and outer.short_name == "outer_signal"
    assert nested.depth == 1 and nested.parent == outer.id
    assert nested.has_error and nested.lead
    assert nested.lead.repeats == 3  # same signal, sender and receivers
    assert all(row.repeat for row in repeats)
    # A repeat folds under its group; one nested in the outer dispatch does
    # not (its group's first dispatch is itself).
    assert nested.collapse == ""
    # Errors never fold away, so "only with errors" never misses one.
    assert all(row.has_error and row.collapse == "" for row in repeats)
    content = render_content(stats)
    assert content.count("djdt-sp-bar-receiver djdt-sp-bar-error") == 4
    assert "builtins.ValueError" in content


def test_geometry_is_in_percent_inside_the_lane(stats):
    context = build_context(stats)
    for row in context["dispatches"]:
        x, width = (float(value.rstrip("%")) for value in (row.bar.x, row.bar.width))
        assert x >= 0 and x + width <= 100.0001 and width > 0
        for call in row.receivers:
            x, width = (
                float(value.rstrip("%")) for value in (call.bar.x, call.bar.width)
            )
            assert x >= 0 and x + width <= 100.0001 and width > 0


def test_editor_links(stats):
    dispatch = stats["dispatches"][0]
    dispatch["call_site"] = ['/src/my app/"quoted"<b>.py', 12, "view"]
    stats["settings"]["editor_url"] = "vscode://file/{path}:{line}"
    links = [
        attrs["href"]
        for tag, attrs in Tags(render_content(stats)).tags
        if tag == "a" and "djdt-sp-source" in (attrs.get("class") or "")
    ]
    assert links[0] == "vscode://file//src/my%20app/%22quoted%22%3Cb%3E.py:12"
    # Only an editor URL; never a script.
    stats["settings"]["editor_url"] = "javascript:alert(1)//{path}"
    content = render_content(stats)
    assert not [attrs for tag, attrs in Tags(content).tags if tag == "a"]
    shown = "/src/my app/&quot;quoted&quot;&lt;b&gt;.py:12"
    where = (
        '/<wbr>src/<wbr>my app/<wbr><span class="djdt-sp-file">'
        "&quot;quoted&quot;&lt;b&gt;.py:12</span>"
    )
    assert f'<code class="djdt-sp-source" title="{shown}">{where}</code>' in content


def test_registry_tab(stats):
    content = render_content(stats)
    assert "has no receiver registry" in content
    stats["registry"] = [
        {
            "signal": "tests.browser.test_panel_html.payload_signal",
            "fired": True,
            "receivers": [
                {
                    "name": PAYLOAD,
                    "file": "/src/receivers.py",
                    "line": 3,
                    "weak": False,
                    "dispatch_uid": None,
                    "sender": None,
                    "is_async": False,
                }
            ],
        },
        {
            "signal": "django.core.signals.setting_changed",
            "fired": False,
            "receivers": [],
        },
    ]
    content = render_content(stats)
    assert "has no receiver registry" not in content
    assert content.count('class="djdt-sp-registry-entry') == 2
    assert 'data-sp-fired="1"' in content and 'data-sp-fired=""' in content
    assert "<img" not in content


def test_other_versions_and_sparse_documents():
    content = render_content({"version": 99})
    assert "another version of signal_panel (stats format 99)" in content
    content = render_content({"version": 1})
    assert "No signal with receivers was dispatched." in content
    sparse = {
        "version": 1,
        "summary": {},
        "dispatches": [
            {"id": 1, "signal": "x.y", "start_ms": 1, "duration_ms": 2},
            {"id": 2, "parent": 7, "signal": "x.z", "receivers": [{"name": "r"}]},
        ],
    }
    context = build_context(sparse)
    assert [row.depth for row in context["dispatches"]] == [0, 1]
    content = render_content(sparse)
    assert html.escape("#7") in content and "not kept in detail" in content
