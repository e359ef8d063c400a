"""The Registry of a real project (tests/realproject with pagesearch), in a
real browser at 1280 px: identical receivers folded ("x12"), the project's
and packages' signals before Django's and the toolbar's last, and a
"defined at" ``file:line`` that never breaks inside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import WIDTH
from tests.browser.helpers import SignalsPanel
from tests.browser.server import Site, prepare, serve, stop

SETTINGS = "tests.realproject.browser_settings"
CLEAR = "pagesearch.backends.Backend._clear_cached_properties"

# For each source location of the Registry: the lines its last part (after
# the last slash: "signals.py:11") is laid out on, and its text.
LAST_PART_LINES = """(root) => [...root.querySelectorAll(".djdt-sp-source")].map((
    element
) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    const text = nodes.map((node) => node.data).join("");
    let offset = Math.max(text.lastIndexOf("/"), text.lastIndexOf("\\\\")) + 1;
    const range = document.createRange();
    for (const node of nodes) {
        if (offset <= node.data.length) { range.setStart(node, offset); break; }
        offset -= node.data.length;
    }
    range.setEnd(nodes[nodes.length - 1], nodes[nodes.length - 1].data.length);
    const tops = new Set(
        [...range.getClientRects()]
            .filter((rect) => rect.width > 0)
            .map((rect) => Math.round(rect.top))
    );
    return [text, tops.size];
})"""


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    var_dir: Path = tmp_path_factory.mktemp("realproject-var")
    prepare(var_dir, settings=SETTINGS)
    served = serve(var_dir, settings=SETTINGS)
    yield served
    stop(served)


def registry_of(page: Page, real_site: Site) -> SignalsPanel:
    """The Registry tab of a page publishing a Page, at 1280 px."""
    page.set_viewport_size({"width": WIDTH, "height": 900})
    panel = SignalsPanel(page, real_site.url).goto("/realproject/publish/").open()
    panel.tab("registry").click()
    return panel


def test_a_file_and_line_never_break_inside(page: Page, real_site: Site):
    panel = registry_of(page, real_site)
    registry = panel.tabpanel("registry")
    lines = registry.evaluate(LAST_PART_LINES)
    assert len(lines) > 20
    broken = [text for text, count in lines if count != 1]
    assert broken == []


def test_identical_receivers_are_one_row_and_the_toolbar_is_last(
    page: Page, real_site: Site
):
    panel = registry_of(page, real_site)
    registry = panel.tabpanel("registry")
    rows = registry.locator(f'tr[data-sp-receiver="{CLEAR}"]')
    assert rows.count() == 1
    assert rows.locator(".djdt-sp-folded").inner_text() == "\N{MULTIPLICATION SIGN}12"
    signals = registry.locator("tbody.djdt-sp-registry-entry").evaluate_all(
        "(entries) => entries.map((entry) => entry.dataset.spSignal)"
    )
    toolbar = [
        index for index, name in enumerate(signals) if name.startswith("debug_toolbar.")
    ]
    assert toolbar and toolbar[-1] == len(signals) - 1
    assert signals.index("pagesearch.signals.index_updated") < signals.index(
        "django.core.signals.setting_changed"
    )
    assert "pagesearch.signals.setting_changed" not in signals
