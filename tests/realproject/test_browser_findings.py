"""The fixture's subtree delete in a real browser at 1280 px: the project's own
finding first, saying it is the user's code; the installed package's in a
collapsed group of its own, which opens to its advice.

Runs the site with ``tests.realproject.browser_settings`` (runserver, the
toolbar in a shadow root) and Debian's Chromium through Playwright. In a
module of its own: Playwright's event loop must not meet the ORM.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

# The browser tests' Chromium, per module (tests/browser/conftest.py).
from tests.browser.conftest import browser  # noqa: F401
from tests.browser.helpers import SignalsPanel
from tests.browser.server import Site, prepare, serve, stop

SETTINGS = "tests.realproject.browser_settings"
WIDTH = 1280
PROJECT_RECEIVER = "tests.realproject.receivers.decrement_parent_numchild"
PACKAGE_RECEIVER = "pagesearch.index.remove_from_index"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    var_dir: Path = tmp_path_factory.mktemp("realproject-var")
    prepare(var_dir, settings=SETTINGS)
    served = serve(var_dir, settings=SETTINGS)
    yield served
    stop(served)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_projects_finding_first_the_packages_collapsed(page: Page, site: Site):
    panel = SignalsPanel(page, site.url).goto("/realproject/subtree/").open()
    findings = panel.root.locator("section.djdt-sp-findings")

    # The demo site's own mistakes are the project's too: all in this list.
    own = findings.locator(
        "ul.djdt-sp-findings-own > li.djdt-sp-finding",
        has_text=f"SQL per row in a receiver: {PROJECT_RECEIVER}",
    )
    expect(own).to_be_visible()
    expect(own.locator(".djdt-sp-finding-owner")).to_have_text("your code")
    expect(own).to_contain_text("ran 31 times")

    group = findings.locator("details.djdt-sp-findings-installed")
    expect(group.locator("summary")).to_contain_text(
        "in installed packages: pagesearch 1.4.2"
    )
    package = group.locator(
        "li.djdt-sp-finding", has_text=f"SQL per row in a receiver: {PACKAGE_RECEIVER}"
    )
    # Collapsed: below the project's, and hidden until opened.
    assert group.get_attribute("open") is None
    expect(package).to_be_hidden()
    own_box = own.bounding_box()
    summary_box = group.locator("summary").bounding_box()
    assert own_box and summary_box and own_box["y"] < summary_box["y"]

    group.locator("summary").click()
    expect(package).to_be_visible()
    expect(package.locator(".djdt-sp-finding-owner")).to_have_text("pagesearch 1.4.2")
    expect(package.locator(".djdt-sp-finding-fix")).to_contain_text(
        "pagesearch 1.4.2's receiver, not your code."
    )
    # The panel fits the laptop's width: no horizontal scrolling for it.
    width = findings.evaluate("(section) => section.scrollWidth - section.clientWidth")
    assert width <= 0
