"""Screenshots of the Signals panel for the docs, light and dark.

    .venv/bin/python -m tests.browser.screenshots [OUTPUT_DIR]

Serves the demo site (like the browser tests), hires someone on the Staff
shifts page (pre_save and post_save of a model, receivers running SQL,
m2m_changed nested inside), opens the panel with the post_save's details,
and saves ``panel-light.png`` and ``panel-dark.png``; then clears the "Common
mistakes" page's queue and opens its panel, its findings at the top: the
project's own, then the installed package's group opened, and saves
``panel-findings.png``; then visits a few pages and opens the "Across
requests" tab: ``panel-across.png`` (default: ``docs/screenshots/``).
``tests/browser/test_screenshots.py`` runs it into a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.browser.helpers import SignalsPanel
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, ROOT, prepare, serve, stop

OUTPUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 960}


def take(browser: Browser, base_url: str, output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    paths = []
    for theme in ("light", "dark"):
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        context.add_init_script(f"localStorage.setItem('djdt.user-theme', '{theme}')")
        page = context.new_page()
        panel = SignalsPanel(page, base_url)
        panel.goto("/staff/shifts/")
        page.locator("#id_name").fill(f"Grace {uuid.uuid4().hex[:4]}")
        page.locator("form button[type=submit]").click()
        page.locator("#djDebugToolbar").wait_for()
        panel.open()
        assert panel.theme() == theme
        lane = panel.lane("post_save", "staff.Employee")
        lane.click()
        panel.detail(lane).wait_for()
        page.locator("#SignalPanel .djdt-scroll").evaluate(
            "(el) => { el.scrollTop = 0; }"
        )
        lane.hover()
        path = output / f"panel-{theme}.png"
        page.screenshot(path=path)
        paths.append(path)
        context.close()
    paths.append(findings(browser, base_url, output / "panel-findings.png"))
    paths.append(across(browser, base_url, output / "panel-across.png"))
    return paths


def findings(browser: Browser, base_url: str, path: Path) -> Path:
    """The mistakes page's panel once its queue was cleared: the project's
    findings, then pagesearch's group (opened), the summary, the timeline."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.add_init_script("localStorage.setItem('djdt.user-theme', 'light')")
    page = context.new_page()
    panel = SignalsPanel(page, base_url).goto("/mistakes/")
    with page.expect_navigation():
        page.locator("button[name=action][value=clear]").click()
    page.locator("#djDebugToolbar").wait_for()
    panel.open()
    group = panel.root.locator("details.djdt-sp-findings-installed")
    group.locator("summary").click()
    group.locator("li.djdt-sp-finding").wait_for()
    page.screenshot(path=path)
    context.close()
    return path


def across(browser: Browser, base_url: str, path: Path) -> Path:
    """The "Across requests" tab after clicking through the demo's pages."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.add_init_script("localStorage.setItem('djdt.user-theme', 'light')")
    page = context.new_page()
    panel = SignalsPanel(page, base_url)
    for visited in (
        "/shop/catalog/",
        "/shop/orders/",
        "/staff/shifts/",
        "/events/log/",
    ):
        panel.goto(visited)
    panel.goto("/shop/catalog/").open()
    panel.tab("across").click()
    panel.tabpanel("across").locator("table.djdt-sp-across").wait_for()
    page.screenshot(path=path)
    context.close()
    return path


def main(output: Path = OUTPUT) -> None:
    with tempfile.TemporaryDirectory() as var_dir:
        prepare(Path(var_dir))
        site = serve(Path(var_dir), shadow_dom=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                for path in take(browser, site.url, output):
                    print(path)
                browser.close()
        finally:
            stop(site)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
