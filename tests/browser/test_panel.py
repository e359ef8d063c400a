"""The Signals panel in a real browser, against the demo site on a live server."""

from __future__ import annotations

import json
import re
import uuid

from playwright.sync_api import Page, expect

from signal_panel.analysis.stats import VERSION
from tests.browser.helpers import CSP_LISTENER, SignalsPanel, switch_to
from tests.browser.server import Site


def create_member(panel: SignalsPanel) -> str:
    """Create a member on the Profiles page: post_save of auth.User with the
    Profile's post_save nested inside it."""
    username = f"member-{uuid.uuid4().hex[:8]}"
    panel.goto("/accounts/profiles/")
    panel.page.locator("#id_username").fill(username)
    panel.page.locator("button[value=create]").click()
    panel.page.locator("#djDebugToolbar").wait_for()
    return username


def test_timeline_shows_the_request_and_the_page_signals(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    create_member(panel)
    panel.open()

    names = panel.lane_names()
    assert names[0] == "request_started"
    assert names[-1] == "request_finished"
    assert "post_save" in names
    for anchor in ("request_started", "request_finished"):
        lane = panel.lane(anchor)
        expect(lane).to_have_class(re.compile(r"\bdjdt-sp-anchor\b"))
    # Every lane carries the request_started and request_finished markers.
    expect(panel.lanes.first.locator("line.djdt-sp-marker")).to_have_count(2)

    # The Profile's post_save is nested under the User's, one step in.
    user_save = panel.lane("post_save", "auth.User")
    profile_save = panel.lane("post_save", "accounts.Profile")
    expect(user_save).to_have_count(1)
    expect(profile_save).to_have_count(1)
    expect(user_save.locator(".djdt-sp-lane-label")).to_have_class(
        re.compile(r"\bdjdt-sp-depth-0\b")
    )
    expect(profile_save.locator(".djdt-sp-lane-label")).to_have_class(
        re.compile(r"\bdjdt-sp-depth-1\b")
    )
    # The bar sits at its offset, receivers as sub-bars, with hover text.
    bar = user_save.locator("rect.djdt-sp-bar-dispatch")
    assert float(bar.get_attribute("x").rstrip("%")) > 0
    assert user_save.locator("rect.djdt-sp-bar-receiver").count() >= 1
    title = user_save.get_attribute("title")
    assert title.startswith("django.db.models.signals.post_save — sender auth.User")
    assert " ms" in title
    # Named by its label ("post_save auth.User"), described by its title.
    expect(user_save).to_have_accessible_name(re.compile(r"^post_save\s+auth\.User$"))
    expect(user_save).to_have_accessible_description(title)
    receiver_titles = user_save.locator("rect.djdt-sp-bar-receiver title")
    assert any("create_profile" in t for t in receiver_titles.all_text_contents())

    # The summary line.
    summary = panel.root.locator("dl.djdt-sp-summary")
    for label in (
        "Dispatches",
        "Receivers run",
        "Receiver time",
        "Queries in receivers",
        "Errors",
        "Orphan sends",
        "Request span",
    ):
        expect(summary).to_contain_text(label)


def test_clicking_a_bar_opens_its_detail_row(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    create_member(panel)
    panel.open()

    lane = panel.lane("post_save", "auth.User")
    detail = panel.detail(lane)
    expect(detail).to_be_hidden()
    lane.click()
    expect(detail).to_be_visible()
    row = panel.row(lane)
    expect(row).to_have_class(re.compile(r"\bdjdt-highlighted\b"))
    toggle = row.locator("button.djdt-sp-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_be_focused()

    # kwargs, model context, receivers with time and queries, call site.
    expect(detail.locator("table.djdt-sp-kwargs")).to_contain_text("instance")
    expect(detail.locator("table.djdt-sp-kwargs")).to_contain_text("auth.User(pk=")
    expect(detail.locator(".djdt-sp-context")).to_contain_text("created")
    calls = detail.locator("table.djdt-sp-calls")
    expect(calls).to_contain_text("create_profile")
    expect(calls.locator("td.djdt-time").first).to_contain_text("ms")
    source = detail.locator("a.djdt-sp-source")
    expect(source).to_have_attribute("href", re.compile(r"^vscode://file/.+\.py:\d+$"))

    # "Inside #n" on the nested dispatch jumps back to its parent.
    nested = panel.lane("post_save", "accounts.Profile")
    nested.click()
    jump = panel.detail(nested).locator("button.djdt-sp-jump")
    expect(jump).to_contain_text("post_save")
    toggle.click()  # close the parent's detail row
    expect(detail).to_be_hidden()
    jump.click()
    expect(detail).to_be_visible()

    # The toggle closes it again, from the keyboard too.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(detail).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_timeline_is_one_tab_stop_with_arrow_keys(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    create_member(panel)
    panel.open()

    first = panel.lanes.first
    expect(first).to_have_attribute("tabindex", "0")
    expect(panel.lanes.nth(1)).to_have_attribute("tabindex", "-1")
    first.focus()
    page.keyboard.press("ArrowDown")
    second = panel.lanes.nth(1)
    expect(second).to_be_focused()
    # Focus shows what the bar is, as hovering does (its title).
    readout = panel.root.locator(".djdt-sp-readout")
    expect(readout).to_have_text(second.get_attribute("title"))
    expect(second).to_have_attribute("tabindex", "0")
    expect(first).to_have_attribute("tabindex", "-1")
    page.keyboard.press("End")
    expect(panel.lanes.last).to_be_focused()
    page.keyboard.press(" ")
    expect(panel.detail(panel.lanes.last)).to_be_visible()


def test_filters(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/robust/").open()

    everything = panel.lane_names()
    assert everything == ["request_started", "report_requested", "request_finished"]
    assert panel.status() == "3 dispatches, all kept in detail and shown."
    # (Hiding framework signals is tested in test_many_rows.py: the demo's
    # pages send none that signal_panel records by default.)

    # Free text: signal, sender and receiver names.
    search = panel.root.locator("input.djdt-sp-search")
    search.fill("REPORT")
    expect(panel.lanes).to_have_count(1)
    assert panel.row_signals() == ["report_requested"]
    search.fill("daily-report")  # the sender
    assert panel.lane_names() == ["report_requested"]
    search.fill("close_old_connections")  # a receiver
    assert panel.lane_names() == ["request_started", "request_finished"]
    search.fill("no such thing")
    expect(panel.lanes).to_have_count(0)
    expect(panel.root.locator(".djdt-sp-empty")).to_be_visible()
    search.fill("")
    expect(panel.lanes).to_have_count(3)

    # Family toggles.
    panel.family("request").click()
    expect(panel.family("request")).to_have_attribute("aria-pressed", "false")
    assert panel.lane_names() == ["report_requested"]
    panel.family("request").click()
    expect(panel.lanes).to_have_count(3)

    # Only with errors: the send_robust whose receiver raised.
    panel.root.locator("input.djdt-sp-errors").check()
    assert panel.lane_names() == ["report_requested"]
    row = panel.rows.first
    expect(row).to_have_class(re.compile(r"\bdjdt-sp-error\b"))
    expect(row.locator(".djdt-sp-tag-error")).to_be_visible()
    panel.root.locator("input.djdt-sp-errors").uncheck()

    # Only slow: above a threshold nothing reaches, then above 0 ms.
    panel.root.locator("input.djdt-sp-threshold").fill("100000")
    panel.root.locator("input.djdt-sp-slow").check()
    expect(panel.lanes).to_have_count(0)
    panel.root.locator("input.djdt-sp-threshold").fill("0")
    expect(panel.lanes).to_have_count(3)
    panel.root.locator("input.djdt-sp-slow").uncheck()


def test_errors_show_the_receiver_and_traceback(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/robust/").open()

    lane = panel.lane("report_requested")
    expect(lane).to_have_class(re.compile(r"\bdjdt-sp-error\b"))
    error_fill = panel.computed(lane.locator("rect.djdt-sp-bar-dispatch"), "fill")
    normal_fill = panel.computed(
        panel.lane("request_started").locator("rect.djdt-sp-bar-dispatch"), "fill"
    )
    assert error_fill != normal_fill
    lane.click()
    detail = panel.detail(lane)
    failed = detail.locator("table.djdt-sp-calls tr.djdt-sp-error")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("ConnectionError")
    # The traceback opens on the receiver's frame; the dispatcher's frames
    # before it are folded, one click away.
    traceback = failed.locator("td > pre.djdt-sp-traceback")
    expect(traceback).to_contain_text("raise")
    expect(traceback).to_contain_text(re.compile(r"^\s*events/receivers\.py:\d+ in"))
    machinery = failed.locator("details.djdt-sp-machinery")
    expect(machinery.locator("pre")).to_be_hidden()
    machinery.locator("summary").click()
    expect(machinery.locator("pre")).to_contain_text("django/dispatch/dispatcher.py:")


def test_repeats_are_grouped_and_expand(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    panel.goto("/shop/orders/").open()

    post_init = panel.lane("post_init", "shop.Order")
    expect(post_init).to_have_count(1)
    repeats = panel.root.locator("button.djdt-sp-repeats").first
    expect(repeats).to_have_attribute("aria-expanded", "false")
    more = int(re.match(r"\d+", repeats.inner_text().strip()).group())
    repeats.click()
    expect(repeats).to_have_attribute("aria-expanded", "true")
    expect(post_init).to_have_count(1 + more)
    repeats.click()
    expect(post_init).to_have_count(1)


def test_tabs_and_registry(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/robust/").open()

    dispatches = panel.tab("dispatches")
    expect(dispatches).to_have_attribute("aria-selected", "true")
    expect(panel.tabpanel("registry")).to_be_hidden()
    dispatches.focus()
    page.keyboard.press("ArrowRight")
    expect(panel.tab("groups")).to_be_focused()
    expect(panel.tabpanel("groups")).to_be_visible()
    expect(panel.tabpanel("groups")).to_contain_text("report_requested")
    expect(panel.tabpanel("dispatches")).to_be_hidden()
    # Tab moves out of the tab list; the registry tab is reached by arrow or
    # activated with Enter or Space.
    registry = panel.tab("registry")
    registry.focus()
    page.keyboard.press("Enter")
    expect(registry).to_have_attribute("aria-selected", "true")
    expect(panel.tab("groups")).to_have_attribute("tabindex", "-1")
    panel.tab("dispatches").focus()
    page.keyboard.press("Space")
    expect(panel.tabpanel("dispatches")).to_be_visible()
    registry.click()

    registry_panel = panel.tabpanel("registry")
    expect(registry_panel).to_be_visible()
    entries = registry_panel.locator("tbody.djdt-sp-registry-entry:visible")
    total = entries.count()
    assert total > 3
    sent = registry_panel.locator("tbody.djdt-sp-registry-entry[data-sp-fired='1']")
    expect(sent.filter(has_text="report_requested")).to_have_count(1)
    registry_panel.locator("input.djdt-sp-registry-fired").check()
    expect(entries).to_have_count(sent.count())
    assert sent.count() < total
    panel.root.locator("input.djdt-sp-search").fill("report_requested")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("archive_report")
    link = entries.first.locator("a.djdt-sp-source").first
    expect(link).to_have_attribute(
        "href", re.compile(r"^vscode://file/.+receivers\.py:\d+$")
    )


def test_download_json(page: Page, site: Site, tmp_path):
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/robust/").open()

    with page.expect_download() as download_info:
        panel.root.locator("button.djdt-sp-download").click()
    download = download_info.value
    assert download.suggested_filename == f"signals-{panel.request_id()}.json"
    path = tmp_path / "signals.json"
    download.save_as(path)
    stats = json.loads(path.read_text())
    assert stats["version"] == VERSION
    signals = [d["signal"] for d in stats["dispatches"]]
    assert "demo.events.signals.report_requested" in signals
    assert signals[-1] == "django.core.signals.request_finished"


def test_recorded_values_are_escaped(page: Page, site: Site):
    payload = '</script><img src=x class="pwned"><script>window.pwned=1</script>'
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/log/")
    page.locator("#id_message").fill(payload)
    page.locator("form button[type=submit]").click()
    page.locator("#djDebugToolbar").wait_for()
    panel.open()

    lane = panel.lane("event_logged")
    lane.click()
    kwargs = panel.detail(lane).locator("table.djdt-sp-kwargs")
    expect(kwargs).to_contain_text("<img src=x")
    expect(panel.root.locator("img.pwned")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    # The embedded JSON is intact (json_script escaped "<" and ">").
    with page.expect_download() as download_info:
        panel.root.locator("button.djdt-sp-download").click()
    stats = json.loads(download_info.value.path().read_text())
    messages = [
        value
        for d in stats["dispatches"]
        for key, value in d["kwargs"]
        if key == "message"
    ]
    assert any("</script><img" in message for message in messages)


def test_theme_toggle(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/robust/").open()

    stat = panel.root.locator(".djdt-sp-stat").first
    error = panel.root.locator(".djdt-sp-stat-error dd")
    colours = {}
    toggle = page.locator("#djToggleThemeButton")
    for _ in range(3):  # auto, then light and dark in some order
        colours[panel.theme()] = (
            panel.computed(stat, "backgroundColor"),
            panel.computed(stat.locator("dd"), "color"),
            panel.computed(error, "color"),
        )
        toggle.click()
    assert set(colours) == {"light", "dark"}
    light, dark = colours["light"], colours["dark"]
    assert light[0] != dark[0]  # card background
    assert light[1] != dark[1]  # text
    assert light[2] != dark[2]  # the error colour has a dark variant


def test_history_switches_the_panel_to_an_older_request(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    marker = uuid.uuid4().hex[:8]
    panel.goto(f"/events/robust/?older={marker}")
    panel.wait_for_finished()
    panel.goto("/lifecycle/").open()
    assert "report_requested" not in panel.lane_names()
    panel.close()

    history = panel.open_panel("HistoryPanel")
    row = history.locator("tr[data-request-id]", has_text=marker)
    switch_to(row)
    page.locator("#HistoryPanel .djDebugClose").click()

    page.locator("#djDebugToolbar a.SignalPanel").click()
    panel.root.wait_for()
    expect(panel.lane("report_requested")).to_have_count(1)
    assert panel.lane_names()[-1] == "request_finished"
    # The switched-in content works: filters and details.
    panel.root.locator("input.djdt-sp-errors").check()
    assert panel.lane_names() == ["report_requested"]
    panel.lane("report_requested").click()
    expect(panel.detail(panel.lane("report_requested"))).to_be_visible()


def test_strict_content_security_policy(page: Page, site: Site):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(CSP_LISTENER)
    panel = SignalsPanel(page, site.url)
    response = page.goto(f"{site.url}/events/robust/?csp=strict")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    panel.open()

    # Everything the panel does, under the policy.
    panel.root.locator("input.djdt-sp-search").fill("report")
    assert panel.lane_names() == ["report_requested"]
    panel.lane("report_requested").click()
    expect(panel.detail(panel.lane("report_requested"))).to_be_visible()
    panel.tab("registry").click()
    expect(panel.tabpanel("registry")).to_be_visible()
    panel.tab("dispatches").click()
    with page.expect_download():
        panel.root.locator("button.djdt-sp-download").click()
    page.locator("#djToggleThemeButton").click()
    # The stylesheet applied: the summary is a flex row, the detail rows hide.
    assert panel.computed(panel.root.locator("dl.djdt-sp-summary"), "display") == "flex"
    expect(
        panel.root.locator(".djdt-sp-detail-row:not(.djdt-sp-open)").first
    ).to_be_hidden()

    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]


def test_shadow_dom(page: Page, site: Site):
    panel = SignalsPanel(page, site.url)
    panel.goto("/events/robust/").open()
    assert page.evaluate("document.getElementById('djDebugRoot').shadowRoot !== null")
    assert page.evaluate("document.querySelector('.djdt-signal-panel')") is None
    # The stylesheet loaded inside the shadow root.
    assert panel.computed(panel.root.locator("dl.djdt-sp-summary"), "display") == "flex"
    panel.root.locator("input.djdt-sp-search").fill("report")
    assert panel.lane_names() == ["report_requested"]


def test_light_dom(page: Page, light_dom_site: Site):
    panel = SignalsPanel(page, light_dom_site.url)
    panel.goto("/events/robust/").open()
    assert page.evaluate("document.getElementById('djDebugRoot').shadowRoot") is None
    assert page.evaluate(
        "document.querySelector('#djDebug .djdt-signal-panel') !== null"
    )
    assert panel.computed(panel.root.locator("dl.djdt-sp-summary"), "display") == "flex"
    panel.root.locator("input.djdt-sp-errors").check()
    assert panel.lane_names() == ["report_requested"]
    panel.lane("report_requested").click()
    expect(panel.detail(panel.lane("report_requested"))).to_be_visible()
    with page.expect_download():
        panel.root.locator("button.djdt-sp-download").click()


def test_panels_rendered_with_the_page(page: Page, inline_site: Site):
    """RENDER_PANELS: the content and its script come with the page; the
    module initialises it at load, before the panel is opened."""
    panel = SignalsPanel(page, inline_site.url)
    panel.goto("/events/robust/")
    assert page.locator("#djDebug").get_attribute("data-request-id") is None
    root = page.locator("#SignalPanel .djdt-signal-panel")
    expect(root).to_have_attribute("data-sp-ready", "ready")
    page.locator("#djDebugToolbar a.SignalPanel").click()
    # Rendered before request_finished was sent: the panel says so.
    expect(root.locator(".djdt-sp-note")).to_contain_text("request_finished")
    assert panel.lane_names() == ["request_started", "report_requested"]
    panel.root.locator("input.djdt-sp-errors").check()
    assert panel.lane_names() == ["report_requested"]
