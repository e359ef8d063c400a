"""Driving the toolbar and the Signals panel from Playwright.

Playwright's CSS locators pierce open shadow roots, so the same locators work
with ``USE_SHADOW_DOM`` on and off.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

REQUEST_FINISHED = "django.core.signals.request_finished"
# Not a delay: how long to keep polling the store for request_finished, which
# the server saves just after it has sent the response.
FINISHED_TIMEOUT = 15.0

# Collects Content-Security-Policy violations from the page, its shadow roots
# included (the event is composed and bubbles to the document).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push({
        directive: event.violatedDirective,
        blocked: event.blockedURI,
        sample: event.sample,
        source: event.sourceFile + ":" + event.lineNumber,
    });
}, true);
"""


class SignalsPanel:
    """The toolbar of one page, and its Signals panel."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # The toolbar.

    @property
    def debug(self) -> Locator:
        return self.page.locator("#djDebug")

    def request_id(self) -> str:
        request_id = self.debug.get_attribute("data-request-id")
        assert request_id, "the toolbar has no request id"
        return request_id

    def goto(self, path: str) -> SignalsPanel:
        self.page.goto(self.base_url + path, wait_until="domcontentloaded")
        self.page.locator("#djDebugToolbar").wait_for()
        return self

    def wait_for_finished(self) -> None:
        """Wait until the store holds this request's request_finished.

        The server saves it after sending the response, so a fast click could
        otherwise fetch the panel just before it.
        """
        query = urlencode({"request_id": self.request_id(), "panel_id": "SignalPanel"})
        url = f"{self.base_url}/__debug__/render_panel/?{query}"
        deadline = time.monotonic() + FINISHED_TIMEOUT
        while True:
            response = self.page.request.get(url)
            assert response.ok, response.status
            if f"{REQUEST_FINISHED} —" in json.loads(response.body())["content"]:
                return
            assert time.monotonic() < deadline, "request_finished was never saved"
            self.page.wait_for_timeout(50)

    def open(self) -> SignalsPanel:
        """Open the Signals panel and wait for its script to have run and
        its stylesheet (a <link> in the panel's content) to apply."""
        self.wait_for_finished()
        self.page.locator("#djDebugToolbar a.SignalPanel").click()
        self.root.wait_for()
        self.page.wait_for_function(
            "(root) => getComputedStyle(root).getPropertyValue('--sp-fam-request')",
            arg=self.root.element_handle(),
        )
        return self

    def open_panel(self, panel_id: str) -> Locator:
        self.page.locator(f"#djDebugToolbar a.{panel_id}").click()
        content = self.page.locator(f"#{panel_id}")
        content.locator(".djdt-scroll > *").first.wait_for()
        return content

    def close(self) -> None:
        self.page.locator("#SignalPanel .djDebugClose").click()

    # The panel.

    @property
    def root(self) -> Locator:
        return self.page.locator("#SignalPanel .djdt-signal-panel[data-sp-ready=ready]")

    @property
    def lanes(self) -> Locator:
        return self.root.locator("button.djdt-sp-lane:visible")

    @property
    def rows(self) -> Locator:
        """The visible dispatches of the table (each a row and its details)."""
        return self.root.locator(".djdt-sp-dispatch:visible")

    # Text content, not inner text: lanes and rows have content-visibility:
    # auto, and one just shown by a filter has no rendered text until the
    # browser's next frame.
    def lane_names(self) -> list[str]:
        return [
            name.strip()
            for name in self.lanes.locator(".djdt-sp-lane-name").all_text_contents()
        ]

    def row_signals(self) -> list[str]:
        return [
            name.strip()
            for name in self.rows.locator("code.djdt-sp-name").all_text_contents()
        ]

    def lane(self, signal: str, sender: str | None = None) -> Locator:
        lanes = self.lanes.filter(
            has=self.page.locator(".djdt-sp-lane-name", has_text=signal)
        )
        if sender is not None:
            lanes = lanes.filter(
                has=self.page.locator(".djdt-sp-lane-sender", has_text=sender)
            )
        return lanes

    def detail(self, lane: Locator) -> Locator:
        ident = lane.get_attribute("data-sp-id")
        return self.root.locator(f".djdt-sp-detail-row[data-sp-detail='{ident}']")

    def row(self, lane: Locator) -> Locator:
        ident = lane.get_attribute("data-sp-id")
        return self.root.locator(
            f".djdt-sp-dispatch[data-sp-id='{ident}'] .djdt-sp-row"
        )

    def family(self, name: str) -> Locator:
        return self.root.locator(f"button.djdt-sp-family[data-sp-family='{name}']")

    def tab(self, name: str) -> Locator:
        return self.root.locator(f"[role=tab][data-sp-tab='{name}']")

    def tabpanel(self, name: str) -> Locator:
        return self.root.locator(f"[role=tabpanel][data-sp-tabpanel='{name}']")

    def status(self) -> str:
        return self.root.locator(".djdt-sp-status-text").inner_text()

    def subtitle(self) -> str:
        """The Signals panel's line in the toolbar's sidebar."""
        return self.page.locator("#djdt-SignalPanel small").inner_text()

    def theme(self) -> str | None:
        return self.debug.get_attribute("data-theme")

    def computed(self, locator: Locator, prop: str) -> Any:
        return locator.evaluate(f"(el) => getComputedStyle(el).{prop}")


def switch_to(row: Locator) -> None:
    """Click the History row's Switch until the toolbar highlights it.

    The toolbar loads history.js as a module when the History panel opens:
    on a busy machine the first click can come before it listens. Clicking
    Switch again for the same request is what a user would do, and harmless.
    With django-debug-toolbar 7.0 the button submits its form when nothing
    listens, leaving the page for the sidebar's JSON: so wait until the
    panel's scripts are loaded first.
    """
    row.page.wait_for_load_state("networkidle")
    highlighted = re.compile(r"\bdjdt-highlighted\b")
    for _ in range(5):
        row.locator("button.switchHistory").click()
        try:
            expect(row).to_have_class(highlighted, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(row).to_have_class(highlighted)
