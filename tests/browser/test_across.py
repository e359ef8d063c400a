"""Issue 23: the "Across requests" tab in a real browser, with each of the
toolbar's stores (memory and database in a shadow root, cache without):
its totals are the sums of what each request's panel shows; its headings
re-sort it; a row switches the toolbar to the request where the receiver
cost the most."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SignalsPanel
from tests.browser.server import Site, serve, stop
from tests.browser.test_panel import CSP_LISTENER

RECEIVER = "demo.shop.receivers.remember_price"
# The last under a strict Content-Security-Policy: the tab's script with it.
PAGES = ["/shop/catalog/", "/shop/orders/", "/shop/catalog/", "/events/log/?csp=strict"]
STORES = {
    "memory": ("debug_toolbar.store.MemoryStore", True),
    "cache": ("debug_toolbar.store.CacheStore", False),
    "database": ("debug_toolbar.store.DatabaseStore", True),
}


@pytest.fixture(scope="module", params=list(STORES))
def store_site(request: pytest.FixtureRequest, demo_var_dir: Path) -> Iterator[Site]:
    """A site of its own per store: its store holds only this module's
    requests (and the start-up probe's)."""
    store, shadow = STORES[request.param]
    served = serve(demo_var_dir, shadow_dom=shadow, store=store)
    yield served
    stop(served)


def shown_document(panel: SignalsPanel, request_id: str) -> dict:
    """The document a request's panel shows (its "Download JSON")."""
    query = urlencode({"request_id": request_id, "panel_id": "SignalPanel"})
    response = panel.page.request.get(
        f"{panel.base_url}/__debug__/render_panel/?{query}"
    )
    content = json.loads(response.body())["content"]
    data = re.search(
        r'id="SignalPanel-stats" type="application/json">(.*?)</script>', content, re.S
    )
    assert data, "no stats in the panel"
    return json.loads(data[1])


def runs_and_time(document: dict) -> tuple[int, float]:
    found = [
        receiver
        for group in document["groups"]
        for receiver in group["receivers"]
        if receiver["name"] == RECEIVER
    ]
    return sum(r["runs"] for r in found), sum(r["total_ms"] for r in found)


def test_the_tab_adds_up_the_requests(page: Page, store_site: Site):
    page.add_init_script(CSP_LISTENER)
    panel = SignalsPanel(page, store_site.url)
    per_request = {}
    for path in PAGES:
        panel.goto(path).wait_for_finished()
        request_id = panel.request_id()
        per_request[request_id] = runs_and_time(shown_document(panel, request_id))
    calls = sum(runs for runs, _ in per_request.values())
    assert calls > 0
    costliest = max(per_request, key=lambda request_id: per_request[request_id][1])

    panel.open()
    panel.tab("across").click()
    across = panel.tabpanel("across")
    table = across.locator("table.djdt-sp-across")
    expect(table).to_be_visible()
    scope = across.locator(".djdt-sp-across-scope")
    expect(scope).to_contain_text(
        re.compile(r"^Over the last \d+ requests the toolbar keeps")
    )
    assert int(re.search(r"\d+", scope.inner_text())[0]) >= len(PAGES)

    row = table.locator(f'tr[data-sp-receiver="{RECEIVER}"]')
    expect(row).to_have_count(1)
    cells = row.locator("td")
    assert int(cells.nth(3).inner_text()) == calls
    ran_in = sum(1 for runs, _ in per_request.values() if runs)
    assert int(cells.nth(4).inner_text()) == ran_in
    assert cells.nth(2).inner_text() == "your project"
    total = sum(time for _, time in per_request.values())
    assert float(cells.nth(5).get_attribute("data-sp-sort")) == pytest.approx(
        total, abs=1e-3
    )

    # Sorted by total time; the Calls heading re-sorts by calls.
    def column(index: int) -> list[float]:
        values = table.locator(f"tbody tr td:nth-child({index + 1})")
        return [
            float(value)
            for value in values.evaluate_all(
                "(cells) => cells.map((c) => c.dataset.spSort)"
            )
        ]

    totals = column(5)
    assert totals == sorted(totals, reverse=True)
    table.locator("thead th").nth(3).locator("button").click()
    expect(table.locator("thead th").nth(3)).to_have_attribute(
        "aria-sort", "descending"
    )
    counts = column(3)
    assert counts == sorted(counts, reverse=True)
    table.locator("thead th").nth(3).locator("button").click()
    expect(table.locator("thead th").nth(3)).to_have_attribute("aria-sort", "ascending")
    assert column(3) == sorted(counts)

    # The search box filters it, and the tab says how many rows match.
    panel.root.locator("input.djdt-sp-search").fill("remember_price")
    expect(panel.tab("across").locator(".djdt-sp-matches")).to_have_text(" · 1 match")
    expect(table.locator("tbody tr:visible")).to_have_count(1)
    panel.root.locator("input.djdt-sp-search").fill("")

    # Sends with no receiver, summed the same way, in a table of their own.
    expect(
        across.locator("table.djdt-sp-across-orphans tbody tr").first
    ).to_be_visible()

    # The costliest request, through the History panel's switch.
    page.wait_for_load_state("networkidle")
    row.locator("button.djdt-sp-switch").click()
    expect(panel.debug).to_have_attribute("data-request-id", costliest)
    expect(
        page.locator("#SignalPanel .djdt-signal-panel[data-sp-ready=ready]")
    ).to_have_attribute("data-sp-request-id", costliest)
    assert page.evaluate("window.__cspViolations") == []
