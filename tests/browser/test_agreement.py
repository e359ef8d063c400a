"""Issue 20, items 5 and 8, in a real browser at 1280 px, with the toolbar in
a shadow root and without: the filter finds a signal in every tab; the status
line and the repeat tags add up; the sidebar says what the panel says; a
recording stored before request_finished completes on screen."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import REQUEST_FINISHED, SignalsPanel
from tests.browser.server import Site
from tests.browser.test_newcomer import SUBTITLE, card

SHADOW = pytest.mark.parametrize(
    "shadow", [True, False], ids=["shadow-dom", "light-dom"]
)
STATUS = re.compile(
    r"^(?P<sends>\d+) dispatches: (?P<kept>\d+) kept in detail"
    r" \((?P<shown>\d+) shown, (?P<folded>\d+) folded under \"more in detail\"\);"
    r" (?P<counted>\d+) more only counted, in the Groups tab\.$"
)
GROUP_TITLE = re.compile(
    r"^(?P<sends>\d+) sends of this signal, sender and receivers in the request:"
    r" (?P<kept>\d+) kept in detail, the others only counted in the Groups tab$"
)


def served(shadow: bool, site: Site, light_dom_site: Site) -> str:
    return (site if shadow else light_dom_site).url


@SHADOW
def test_the_filter_finds_a_signal_in_every_tab(
    narrow: Page, site: Site, light_dom_site: Site, shadow: bool
):
    """ticket_opened has no receiver (its receivers module is never
    imported): no dispatch, but an orphan send and a registry entry."""
    panel = SignalsPanel(narrow, served(shadow, site, light_dom_site))
    panel.goto("/mistakes/").open()
    matches = {
        name: panel.tab(name).locator(".djdt-sp-matches")
        for name in ("dispatches", "groups", "registry")
    }
    for badge in matches.values():
        expect(badge).to_have_text("")

    panel.root.locator("input.djdt-sp-search").fill("ticket_opened")
    expect(matches["dispatches"]).to_have_text(" · no match")
    expect(matches["groups"]).to_have_text(" · 1 match")
    expect(matches["registry"]).to_have_text(" · 1 match")
    expect(panel.rows).to_have_count(0)
    expect(panel.root.locator(".djdt-sp-empty")).to_be_visible()

    panel.tab("groups").click()
    groups = panel.tabpanel("groups")
    expect(groups.locator("tr.djdt-sp-group:visible")).to_have_count(0)
    orphans = groups.locator("tr.djdt-sp-orphan:visible")
    expect(orphans).to_have_count(1)
    expect(orphans).to_contain_text("ticket_opened")

    panel.tab("registry").click()
    entries = panel.tabpanel("registry").locator("tbody.djdt-sp-registry-entry:visible")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text("ticket_opened")

    # A receiver's name finds its dispatches and groups as well.
    panel.root.locator("input.djdt-sp-search").fill("thank_reporter")
    expect(matches["dispatches"]).to_have_text(re.compile(r"^ · \d+ match(es)?$"))
    expect(matches["groups"]).to_have_text(" · 1 match")
    panel.tab("groups").click()
    expect(groups.locator("tr.djdt-sp-group:visible")).to_contain_text("ticket_closed")

    panel.root.locator("input.djdt-sp-search").fill("")
    expect(matches["groups"]).to_have_text("")
    assert groups.locator("tr.djdt-sp-group:visible").count() > 1


def test_the_status_line_and_the_repeat_tags_add_up(narrow: Page, site: Site):
    """The catalog: 5,000 post_init, a few kept in detail, most only counted."""
    panel = SignalsPanel(narrow, site.url)
    panel.goto("/shop/catalog/").open()
    status = STATUS.match(panel.status())
    assert status, panel.status()
    sends, kept, shown, folded, counted = (
        int(status[name]) for name in ("sends", "kept", "shown", "folded", "counted")
    )
    assert sends == int(card(panel, "Dispatches")) == kept + counted
    assert kept == panel.root.locator(".djdt-sp-dispatch").count() == shown + folded
    assert shown == panel.rows.count()

    # "&times;N sends", then "M more in detail": of the N sends, K kept in detail,
    # this row and the M folded under it among them.
    row = panel.root.locator(
        ".djdt-sp-row", has=narrow.locator("button.djdt-sp-repeats")
    ).first
    repeats = row.locator("button.djdt-sp-repeats")
    tag = row.locator(".djdt-sp-tag", has_text="sends")
    group_sends = int(re.fullmatch(r"\u00d7(\d+) sends", tag.inner_text())[1])
    title = GROUP_TITLE.match(tag.get_attribute("title"))
    assert title and int(title["sends"]) == group_sends, tag.get_attribute("title")
    more = int(re.fullmatch(r"(\d+) more in detail", repeats.inner_text())[1])
    assert group_sends >= int(title["kept"]) >= 1 + more
    shown_before = panel.rows.count()
    repeats.click()
    expect(panel.rows).to_have_count(shown_before + more)


@SHADOW
def test_the_sidebar_says_what_the_panel_says(
    narrow: Page, site: Site, light_dom_site: Site, shadow: bool
):
    panel = SignalsPanel(narrow, served(shadow, site, light_dom_site))
    panel.goto("/lifecycle/")
    # Rendered with the page, before request_finished.
    assert "up to the response" in panel.subtitle()
    panel.open()
    expect(narrow.locator("#djdt-SignalPanel small")).not_to_contain_text("response")
    subtitle = SUBTITLE.match(panel.subtitle().replace("\n", " "))
    assert subtitle, panel.subtitle()
    assert (subtitle["dispatches"], subtitle["receivers"], subtitle["ms"]) == (
        card(panel, "Dispatches"),
        card(panel, "Receivers run"),
        card(panel, "Receiver time"),
    )


FETCH_HELD_STREAM = """
async (url) => {
    // The page's own script: ddt's UPDATE_ON_FETCH sees its response headers
    // and switches the toolbar to that request while the body still streams.
    const response = await fetch(url);
    window.__streamed = response.text();
    return response.headers.get("djdt-request-id");
}
"""


@SHADOW
def test_a_streamed_response_completes_on_screen(
    narrow: Page, site: Site, light_dom_site: Site, shadow: bool
):
    url = served(shadow, site, light_dom_site)
    panel = SignalsPanel(narrow, url)
    panel.goto("/lifecycle/")
    token = uuid.uuid4().hex
    request_id = narrow.evaluate(FETCH_HELD_STREAM, f"/stream/{token}/")
    assert request_id
    expect(panel.debug).to_have_attribute("data-request-id", request_id)
    expect(narrow.locator("#djdt-SignalPanel small")).to_contain_text(
        "up to the response"
    )

    # Opened while the stream is held: what the store has so far.
    narrow.locator("#djDebugToolbar a.SignalPanel").click()
    note = panel.root.locator(".djdt-sp-unfinished")
    expect(note).to_contain_text("This panel updates itself when it is stored.")
    assert panel.lane_names()[0] == "request_started"
    assert "request_finished" not in panel.lane_names()

    # Refresh fetches the content again (still partial: a new rendering).
    panel.root.evaluate("(root) => { root.dataset.before = 'refresh'; }")
    note.locator("button.djdt-sp-refresh").click()
    expect(panel.root).not_to_have_attribute("data-before", "refresh")
    expect(panel.root.locator(".djdt-sp-unfinished")).to_be_visible()

    # The stream ends, the response is closed, request_finished is stored:
    # the open panel replaces itself, and the sidebar follows.
    released = narrow.request.get(f"{url}/stream/{token}/release/")
    assert released.ok
    assert narrow.evaluate("window.__streamed") == "first line\nlast line\n"
    expect(panel.lane("request_finished")).to_have_count(1, timeout=30_000)
    expect(panel.root.locator(".djdt-sp-unfinished")).to_have_count(0)
    expect(panel.root).to_have_attribute("data-sp-request-id", request_id)
    expect(panel.root).to_have_attribute("data-sp-finished", "1")
    expect(narrow.locator("#djdt-SignalPanel small")).not_to_contain_text("response")
    download = panel.root.locator('script[type="application/json"]').text_content()
    assert f'"{REQUEST_FINISHED}"' in download
