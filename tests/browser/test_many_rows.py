"""Recordings made in the test process, shown in the browser.

A thousand dispatches: filtering toggles classes, fast. Framework signals:
hidden by default, counted, one click away.

The content is a real rendering of a recording, put in a page of the live
site (so that the panel's static files load from it) inside the same
``#djDebug`` / ``#SignalPanel`` markup the toolbar uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import setting_changed
from django.dispatch import Signal
from playwright.sync_api import Page, expect

from signal_panel import record_signals
from signal_panel.conf import Config
from signal_panel.view.render import render_content
from tests.browser.helpers import SignalsPanel
from tests.browser.server import Site

COUNT = 1200
bulk_signal = Signal()
other_signal = Signal()


def bulk_receiver(sender: Any, **kwargs: Any) -> int:
    return kwargs["index"]


def other_receiver(sender: Any, **kwargs: Any) -> None:
    raise LookupError("every tenth")


@pytest.fixture(scope="module")
def content() -> Iterator[str]:
    bulk_signal.connect(bulk_receiver, weak=False)
    other_signal.connect(other_receiver, weak=False)
    config = Config(max_detailed=COUNT, detailed_per_group=COUNT)
    # Distinct senders, alive for the whole recording (groups are keyed by
    # the sender's id(), which a dead sender's successor may reuse).
    senders = [f"sender-{index}" for index in range(COUNT)]
    try:
        with record_signals(config) as recording:
            for index, sender in enumerate(senders):
                if index % 10:
                    bulk_signal.send(sender=sender, index=index)
                else:
                    other_signal.send_robust(sender=sender, index=index)
        stats = json.loads(json.dumps(recording.to_stats()))
    finally:
        bulk_signal.disconnect(bulk_receiver)
        other_signal.disconnect(other_receiver)
    assert len(stats["dispatches"]) == COUNT
    yield render_content(stats)


# Types into the search box, then forces style and layout: the time the
# browser takes from the keystroke to a laid-out result. Also counts elements
# added or removed meanwhile (none: the script only toggles classes; the status
# line's text changes).
MEASURE = """
async (query) => {
    const root = document.querySelector(".djdt-signal-panel");
    const search = root.querySelector("input.djdt-sp-search");
    let added = 0;
    const observer = new MutationObserver((records) => {
        for (const record of records) {
            for (const node of [...record.addedNodes, ...record.removedNodes]) {
                added += node.nodeType === Node.ELEMENT_NODE ? 1 : 0;
            }
        }
    });
    observer.observe(root, { childList: true, subtree: true });
    const start = performance.now();
    search.value = query;
    search.dispatchEvent(new Event("input", { bubbles: true }));
    void root.offsetHeight;
    const elapsed = performance.now() - start;
    await Promise.resolve();
    observer.disconnect();
    return { elapsed, added };
}
"""


def show(page: Page, site: Site, content: str) -> SignalsPanel:
    """The panel's content in a page of the site, as the toolbar holds it."""
    page.goto(f"{site.url}/static/signal_panel/panel.css")
    page.set_content(
        '<!doctype html><html><head><link rel="stylesheet"'
        ' href="/static/debug_toolbar/css/toolbar.css"></head><body>'
        '<div id="djDebug" data-theme="light"><div id="SignalPanel"'
        ' class="djdt-panelContent"><div class="djDebugPanelContent">'
        f'<div class="djdt-scroll">{content}</div></div></div></div>'
        '<script type="module" src="/static/signal_panel/panel.js"></script>'
        "</body></html>"
    )
    panel = SignalsPanel(page, site.url)
    panel.root.wait_for()
    return panel


def test_filtering_a_thousand_rows(page: Page, site: Site, content: str):
    panel = show(page, site, content)
    # Past 300 (signal, sender) groups the recording merges senders, so most
    # dispatches are repeats of two groups, folded under their first rows.
    for button in panel.root.locator("button.djdt-sp-repeats").all():
        button.click()
    expect(panel.lanes).to_have_count(COUNT)

    timings = []
    for query in ("other_signal", "sender-11", "", "bulk", "no match", ""):
        result = page.evaluate(MEASURE, query)
        assert result["added"] == 0
        timings.append(result["elapsed"])
        expected = {
            "other_signal": COUNT // 10,
            # sender-11, sender-110 to -119 and sender-1100 to -1199: detailed
            # records keep their own sender past the group limit too.
            "sender-11": 111,
            "": COUNT,
            "bulk": COUNT - COUNT // 10,
            "no match": 0,
        }[query]
        expect(panel.lanes).to_have_count(expected)
        expect(panel.rows).to_have_count(expected)
    # From the keystroke to the laid-out result: ~20-60 ms on an idle laptop,
    # under 200 ms on a loaded 2-core machine. Reported, not asserted: speed
    # belongs to benchmarks, not to tests.
    print("filter times (ms):", ", ".join(f"{t:.0f}" for t in timings))

    panel.root.locator("input.djdt-sp-errors").check()
    expect(panel.lanes).to_have_count(COUNT // 10)


def test_framework_signals_are_hidden_but_counted(page: Page, site: Site):
    bulk_signal.connect(bulk_receiver, weak=False)
    try:
        with record_signals() as recording:
            bulk_signal.send(sender="app", index=1)
            for name in ("SIGNAL_PANEL_DEMO_A", "SIGNAL_PANEL_DEMO_B"):
                # A real framework signal, with Django's own receivers.
                setting_changed.send(sender=None, setting=name, value=1, enter=True)
    finally:
        bulk_signal.disconnect(bulk_receiver)
    panel = show(page, site, render_content(recording.to_stats()))

    framework = panel.family("framework")
    expect(framework).to_have_attribute("aria-pressed", "false")
    expect(framework.locator(".djdt-sp-count")).to_have_text("2")
    assert panel.lane_names() == ["bulk_signal"]
    assert panel.status() == (
        "3 dispatches, all kept in detail (1 shown, 2 framework dispatches hidden)."
    )
    show_them = panel.root.locator("button.djdt-sp-show-noise")
    show_them.click()
    expect(framework).to_have_attribute("aria-pressed", "true")
    expect(show_them).to_be_hidden()
    assert panel.lane_names() == ["bulk_signal", "setting_changed", "setting_changed"]
    framework.click()
    assert panel.lane_names() == ["bulk_signal"]
    # Searching does not bring hidden families back; the count stays.
    panel.root.locator("input.djdt-sp-search").fill("setting")
    expect(panel.lanes).to_have_count(0)
    assert "2 framework dispatches hidden" in panel.status()
