"""A live demo site and a real browser for the panel's end-to-end tests.

The demo site is migrated and seeded once per test session; the servers share
its database: one with the toolbar in a shadow root (ddt's default); one with
``USE_SHADOW_DOM = False`` and one with ``RENDER_PANELS = True``, started only
for the tests that ask for them.

The browser is Debian's Chromium driven by Playwright. Playwright's sync API
keeps an event loop running in the test thread, which Django would take for
an async context, so it is started per module and stopped at its end, before
other test modules touch the ORM.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, Site, prepare, serve, stop

WIDTH = 1280  # the narrow page's width


@pytest.fixture(scope="session")
def demo_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database and runtime files: migrated and seeded once."""
    var_dir = tmp_path_factory.mktemp("demo-var")
    prepare(var_dir)
    return var_dir


@pytest.fixture(scope="session")
def site(demo_var_dir: Path) -> Iterator[Site]:
    """The demo site, with the toolbar in a shadow root (ddt's default)."""
    served = serve(demo_var_dir, shadow_dom=True)
    yield served
    stop(served)


@pytest.fixture(scope="session")
def light_dom_site(demo_var_dir: Path) -> Iterator[Site]:
    """The demo site with ``USE_SHADOW_DOM = False``."""
    served = serve(demo_var_dir, shadow_dom=False)
    yield served
    stop(served)


@pytest.fixture(scope="session")
def inline_site(demo_var_dir: Path) -> Iterator[Site]:
    """The demo site with ``RENDER_PANELS = True``: panels come with the page."""
    served = serve(demo_var_dir, render_panels=True)
    yield served
    stop(served)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def narrow(context: BrowserContext) -> Iterator[Page]:
    """A page 1280 px wide: a laptop's screen."""
    page = context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": 900})
    yield page
    page.close()
