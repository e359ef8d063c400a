"""The docs' screenshot script still runs (into a temporary directory)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.browser import screenshots
from tests.browser.server import Site

PNG = b"\x89PNG\r\n\x1a\n"


def test_screenshots(browser: Browser, site: Site, tmp_path: Path):
    paths = screenshots.take(browser, site.url, tmp_path)
    assert [path.name for path in paths] == [
        "panel-light.png",
        "panel-dark.png",
        "panel-findings.png",
        "panel-across.png",
    ]
    images = [path.read_bytes() for path in paths]
    assert all(image.startswith(PNG) for image in images)
    assert len(set(images)) == 4
