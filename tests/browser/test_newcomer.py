"""The panel as a newcomer reads it, in a real browser at 1280 px: numbers
that agree, a Registry and a summary that fit, the toolbar's Request panel
one click away, the findings at the top and where they lead."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from signal_panel.view.render import render_content
from tests.browser.helpers import SignalsPanel, switch_to
from tests.browser.server import Site
from tests.browser.test_many_rows import show

SUBTITLE = re.compile(
    r"^(?P<dispatches>\d+) dispatch(es)? · (?P<receivers>\d+) receivers? · "
    r"(?P<ms>[\d.]+) ms(?P<partial>, up to the response)?$"
)
MISTAKES = {
    "unimported",
    "connected_twice",
    "dead_weak",
    "string_sender",
    "reentrant_save",
    "sql_per_row",
}


def card(panel: SignalsPanel, label: str) -> str:
    """The value of a summary card, without its note."""
    stat = panel.root.locator(
        ".djdt-sp-stat", has=panel.page.locator("dt", has_text=label)
    )
    return stat.locator("dd").evaluate("(dd) => dd.firstChild.textContent.trim()")


def test_every_count_says_what_it_counts(narrow: Page, site: Site):
    panel = SignalsPanel(narrow, site.url)
    panel.goto("/shop/catalog/")
    # Rendered with the page, before request_finished: it says so.
    live = SUBTITLE.match(panel.subtitle().replace("\n", " "))
    assert live and live["partial"], panel.subtitle()
    panel.open()

    rows = panel.root.locator(".djdt-sp-dispatch").count()
    sends = int(card(panel, "Dispatches"))
    assert sends > 5000 > rows
    assert int(live["dispatches"]) < sends  # request_finished came after
    expect(panel.tab("dispatches")).to_have_text(f"Dispatches {rows} in detail")
    expect(panel.root.locator(".djdt-sp-stat-note").first).to_have_text(
        f"sends · {rows} in detail"
    )
    shown = panel.rows.count()
    # One sentence that adds up: sends = kept in detail + only counted, and
    # kept in detail = shown + folded.
    assert panel.status() == (
        f"{sends} dispatches: {rows} kept in detail ({shown} shown,"
        f' {rows - shown} folded under "more in detail");'
        f" {sends - rows} more only counted, in the Groups tab."
    )
    groups = panel.tabpanel("groups")
    orphan_rows = groups.locator("table.djdt-sp-orphans tbody tr").count()
    group_rows = groups.locator("table.djdt-sp-groups tbody tr").count()
    expect(panel.tab("groups")).to_have_text(
        f"Groups {group_rows} · Orphans {orphan_rows}"
    )
    receivers, receiver_time = (
        card(panel, "Receivers run"),
        card(panel, "Receiver time"),
    )
    panel.close()

    # From the store, after request_finished: the sidebar has the panel's figures.
    panel.goto("/lifecycle/")
    history = panel.open_panel("HistoryPanel")
    switch_to(history.locator("tr[data-request-id]", has_text="/shop/catalog/").first)
    # The toolbar replaces its sidebar with the stored request's.
    expect(narrow.locator("#djdt-SignalPanel small")).not_to_contain_text("response")
    stored = SUBTITLE.match(panel.subtitle().replace("\n", " "))
    assert stored and not stored["partial"], panel.subtitle()
    assert (stored["dispatches"], stored["receivers"], stored["ms"]) == (
        str(sends),
        receivers,
        receiver_time,
    )


def test_the_summary_is_one_row_and_the_axis_is_in_lower_case(narrow: Page, site: Site):
    panel = SignalsPanel(narrow, site.url).goto("/lifecycle/").open()
    boxes = panel.root.locator("dl.djdt-sp-summary .djdt-sp-stat").evaluate_all(
        "(cards) => cards.map((card) => card.getBoundingClientRect().top)"
    )
    assert len(boxes) == 7
    assert len(set(boxes)) == 1, boxes  # "Request span" is not left alone below
    axis = panel.root.locator(".djdt-sp-axis .djdt-sp-lane-label").inner_text()
    assert re.fullmatch(r"0 → \d+\.\d\d ms", axis), axis


def test_the_registry_fits_the_panel(narrow: Page, site: Site):
    panel = SignalsPanel(narrow, site.url).goto("/events/robust/").open()
    panel.tab("registry").click()
    table = panel.tabpanel("registry").locator("table.djdt-sp-registry")
    fit = table.evaluate(
        """(table) => {
            const scroll = table.closest(".djdt-scroll");
            const box = table.getBoundingClientRect();
            const frame = scroll.getBoundingClientRect();
            const columns = [...table.querySelectorAll("thead th")].map(
                (th) => [th.textContent.trim(), th.getBoundingClientRect().width]
            );
            return {
                overflow: scroll.scrollWidth - scroll.clientWidth,
                right: box.right - frame.right,
                columns: Object.fromEntries(columns),
            };
        }"""
    )
    assert fit["overflow"] <= 0 and fit["right"] <= 0, fit
    assert fit["columns"]["Defined at"] >= 150, fit
    assert min(fit["columns"].values()) >= 100, fit
    # The project's own signals first.
    first = panel.tabpanel("registry").locator("tbody.djdt-sp-registry-entry").first
    assert first.get_attribute("data-sp-signal").startswith("demo.")


def test_pages_load_without_console_errors(page: Page, site: Site):
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    panel = SignalsPanel(page, site.url)
    for path in ("/", "/mistakes/", "/admin/login/"):
        panel.goto(path)
        page.wait_for_load_state("load")
    panel.open()
    assert errors == []


@pytest.mark.parametrize("shadow", [True, False], ids=["shadow-dom", "light-dom"])
def test_request_started_opens_the_toolbars_request_panels(
    page: Page, site: Site, light_dom_site: Site, shadow: bool
):
    panel = SignalsPanel(page, (site if shadow else light_dom_site).url)
    panel.goto("/lifecycle/").open()
    lane = panel.lane("request_started")
    lane.click()
    links = panel.detail(lane).locator(".djdt-sp-panel-links")
    expect(links.locator("button:visible")).to_have_count(2)  # both enabled
    links.locator("button[data-sp-open-panel=RequestPanel]").click()
    request = page.locator("#RequestPanel")
    expect(request).to_be_visible()
    expect(request).to_contain_text("View information")
    expect(page.locator("#SignalPanel")).to_be_hidden()

    page.locator("#RequestPanel .djDebugClose").click()
    panel.page.locator("#djDebugToolbar a.SignalPanel").click()
    panel.detail(panel.lane("request_started")).locator(
        "button[data-sp-open-panel=HeadersPanel]"
    ).click()
    expect(page.locator("#HeadersPanel")).to_be_visible()
    expect(page.locator("#HeadersPanel")).to_contain_text("Request headers")


def test_findings_at_the_top_lead_to_the_rows_and_the_registry(page: Page, site: Site):
    panel = SignalsPanel(page, site.url).goto("/mistakes/").open()
    findings = panel.root.locator("section.djdt-sp-findings li.djdt-sp-finding")
    kinds = [item.get_attribute("data-sp-kind") for item in findings.all()]
    assert sorted(kinds) == sorted(MISTAKES)
    for item in findings.all():
        expect(item.locator(".djdt-sp-finding-fix")).to_contain_text("Fix:")

    # A re-entrant save: its two post_save dispatches, one click away.
    reentrant = panel.root.locator("li.djdt-sp-finding[data-sp-kind=reentrant_save]")
    _outer, inner = reentrant.locator("button.djdt-sp-jump").all()
    inner.click()
    row = panel.root.locator(
        f".djdt-sp-dispatch[data-sp-id='{inner.get_attribute('data-sp-target')}']"
    )
    expect(row.locator(".djdt-sp-detail-row")).to_be_visible()
    expect(row.locator(".djdt-sp-row")).to_have_class(
        re.compile(r"\bdjdt-highlighted\b")
    )
    expect(row.locator(".djdt-sp-detail-row")).to_contain_text(
        "from demo.mistakes.tracking.fill_slug"
    )

    # Connected twice: the receiver, highlighted in the Registry tab.
    twice = panel.root.locator("li.djdt-sp-finding[data-sp-kind=connected_twice]")
    twice.locator("button.djdt-sp-registry-link").click()
    expect(panel.tab("registry")).to_have_attribute("aria-selected", "true")
    receiver = panel.tabpanel("registry").locator(
        "tr[data-sp-receiver='demo.mistakes.listeners.thank_reporter']"
    )
    expect(receiver).to_have_class(re.compile(r"\bdjdt-highlighted\b"))
    expect(receiver).to_be_in_viewport()
    expect(receiver).to_contain_text("ran 1\N{MULTIPLICATION SIGN} in this request")

    # Why page_on_call never ran: connected for a string, sent by the class.
    panel.tab("groups").click()
    orphan = panel.tabpanel("groups").locator(
        "tr[data-sp-signal='demo.mistakes.signals.ticket_escalated']"
    )
    expect(orphan).to_contain_text("demo.mistakes.escalation.page_on_call")
    expect(orphan).to_contain_text("these sends' sender was mistakes.Ticket")


def test_an_installed_packages_finding_is_apart_and_collapsed(narrow: Page, site: Site):
    """Common mistakes' "Clear the queue": pagesearch 1.4.2 (installed) runs a
    query per deleted ticket. Its finding follows the project's, in a group
    that stays closed until opened; its signals sit between the project's
    and Django's in the Registry."""
    panel = SignalsPanel(narrow, site.url).goto("/mistakes/")
    with narrow.expect_navigation():
        narrow.locator("button[name=action][value=clear]").click()
    narrow.locator("#djDebugToolbar").wait_for()
    expect(narrow.locator(".notice").first).to_contain_text("Cleared the queue")
    panel.open()
    findings = panel.root.locator("section.djdt-sp-findings")
    own = findings.locator(
        "ul.djdt-sp-findings-own > li.djdt-sp-finding",
        has_text="SQL per row in a receiver: demo.mistakes.tracking.count_duplicates",
    )
    expect(own).to_be_visible()
    expect(own.locator(".djdt-sp-finding-owner")).to_have_text("your code")
    group = findings.locator("details.djdt-sp-findings-installed")
    summary = group.locator("summary")
    expect(summary).to_have_text("1 finding in installed packages: pagesearch 1.4.2")
    assert group.get_attribute("open") is None
    package = group.locator("li.djdt-sp-finding")
    expect(package).to_be_hidden()
    own_box, summary_box = own.bounding_box(), summary.bounding_box()
    assert own_box and summary_box and own_box["y"] < summary_box["y"]

    summary.click()
    expect(package).to_be_visible()
    expect(package).to_contain_text(
        "SQL per row in a receiver: pagesearch.index.remove_from_index"
    )
    expect(package.locator(".djdt-sp-finding-owner")).to_have_text("pagesearch 1.4.2")
    expect(package.locator(".djdt-sp-finding-fix")).to_contain_text(
        "pagesearch 1.4.2's receiver, not your code."
    )

    panel.tab("registry").click()
    names = (
        panel.tabpanel("registry")
        .locator("tbody.djdt-sp-registry-entry")
        .evaluate_all("(entries) => entries.map((e) => e.dataset.spSignal)")
    )
    where = {
        prefix: [i for i, name in enumerate(names) if name.startswith(prefix)]
        for prefix in ("demo.", "pagesearch.", "django.")
    }
    assert all(where.values()), names
    assert max(where["demo."]) < min(where["pagesearch."]), names
    assert max(where["pagesearch."]) < min(where["django."]), names


def test_the_slow_filter_tells_a_slow_receiver_from_a_slow_dispatch(
    page: Page, site: Site
):
    def dispatch(ident: int, signal: str, duration: float, receiver: float) -> dict:
        return {
            "id": ident,
            "group": ident,
            "signal": f"shop.signals.{signal}",
            "start_ms": ident,
            "duration_ms": duration,
            "outside_ms": duration - receiver,
            "receivers": [
                {"name": "shop.receivers.r", "start_ms": ident, "duration_ms": receiver}
            ],
        }

    stats = {
        "version": 1,
        "summary": {"span_ms": 50.0, "request_finished": True},
        "dispatches": [
            dispatch(1, "collected", duration=30.0, receiver=0.02),
            dispatch(2, "heavy", duration=5.0, receiver=4.9),
            dispatch(3, "quick", duration=0.1, receiver=0.05),
        ],
    }
    panel = show(page, site, render_content(stats))
    panel.root.locator("input.djdt-sp-threshold").fill("1")
    panel.root.locator("input.djdt-sp-slow").check()
    measure = panel.root.locator("select.djdt-sp-slow-measure")
    assert panel.lane_names() == ["collected", "heavy"]
    measure.select_option("receiver")
    assert panel.lane_names() == ["heavy"]
    measure.select_option("outside")
    assert panel.lane_names() == ["collected"]
    measure.select_option("dispatch")
    assert panel.lane_names() == ["collected", "heavy"]
