"""Sends from a thread the request started, as a user sees them at 1280 px.

The demo's "Forgot password" page: ``post_save`` of PasswordResetRequest runs
``send_reset_code``, which starts the thread "send-reset-code" and joins it;
the thread saves a SentMail. That ``post_save`` shows in the Signals panel,
nested under the receiver that started the thread and tagged with its name.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from signal_panel.view.render import render_content
from tests.browser.helpers import SignalsPanel
from tests.browser.server import Site
from tests.browser.test_many_rows import show

THREAD = "send-reset-code"
STARTER = "demo.accounts.receivers.send_reset_code"


def dispatch(panel: SignalsPanel, signal: str, sender: str) -> Locator:
    """The visible table row group of a dispatch, by short name and sender."""
    page = panel.page
    return panel.rows.filter(
        has=page.locator("code.djdt-sp-name", has_text=re.compile(f"^{signal}$"))
    ).filter(has=page.locator("code.djdt-sp-sender", has_text=sender))


def depth(row: Locator) -> int:
    indent = row.locator(".djdt-sp-row .djdt-sp-indent")
    found = re.search(r"\bdjdt-sp-depth-(\d+)\b", indent.get_attribute("class") or "")
    assert found, indent.get_attribute("class")
    return int(found[1])


# The tag's box against its cell's: one line, nothing cut off.
FIT = """(tag) => {
    const cell = tag.closest(".djdt-sp-td");
    const box = tag.getBoundingClientRect();
    const frame = cell.getBoundingClientRect();
    return {
        lines: tag.getClientRects().length,
        clipped: tag.scrollWidth - tag.clientWidth,
        left: box.left - frame.left,
        right: frame.right - box.right,
        width: box.width,
        whiteSpace: getComputedStyle(tag).whiteSpace,
    };
}"""


def test_forgot_password_shows_the_threads_post_save_nested(narrow: Page, site: Site):
    panel = SignalsPanel(narrow, site.url).goto("/accounts/forgot-password/")
    # The page says what to look for.
    look_for = narrow.locator(".look-for")
    expect(look_for).to_contain_text("accounts.SentMail it sends is nested")
    expect(look_for).to_contain_text(f'tagged "in thread {THREAD}"')
    narrow.locator("#id_login").fill("demo")
    with narrow.expect_navigation():
        narrow.locator("form button[type=submit]").click()
    narrow.locator("#djDebugToolbar").wait_for()
    expect(narrow.locator(".notice")).to_contain_text("a code is on its way")
    # The POST answers with the page itself: this toolbar is the POST's.
    panel.open()

    started = dispatch(panel, "post_save", "accounts.PasswordResetRequest")
    noted = dispatch(panel, "post_save", "accounts.SentMail")
    # Shown with the default filters: no family toggle, no search needed.
    expect(started).to_have_count(1)
    expect(noted).to_have_count(1)
    expect(noted.locator(".djdt-sp-row")).to_be_visible()
    expect(started.locator(".djdt-sp-receiver", has_text=STARTER)).to_be_visible()

    # The marker: visible, plain text, on the thread's dispatch only.
    tag = noted.locator(".djdt-sp-row .djdt-sp-thread")
    expect(tag).to_be_visible()
    expect(tag).to_have_text(f"in thread {THREAD}")
    expect(tag).to_have_attribute(
        "title", f"Sent in the thread {THREAD}, started inside this recording"
    )
    assert tag.evaluate("(el) => el.childElementCount") == 0
    expect(started.locator(".djdt-sp-thread")).to_have_count(0)
    fit = tag.evaluate(FIT)
    assert fit["lines"] == 1 and fit["clipped"] <= 0, fit
    assert fit["left"] >= 0 and fit["right"] >= 0, fit

    # Nested under the dispatch whose receiver started the thread: right
    # after it in the table, one step in.
    assert depth(noted) == depth(started) + 1
    follows = noted.evaluate(
        "(el, before) => !!(before.compareDocumentPosition(el)"
        " & Node.DOCUMENT_POSITION_FOLLOWING)",
        started.element_handle(),
    )
    assert follows
    lane = panel.lane("post_save", "accounts.SentMail")
    expect(lane.locator(".djdt-sp-lane-label")).to_have_class(
        re.compile(rf"\bdjdt-sp-depth-{depth(noted)}\b")
    )

    # Its details: inside the PasswordResetRequest's post_save, from the
    # receiver that started the thread, sent from the thread's function.
    noted.locator("button.djdt-sp-toggle").click()
    details = noted.locator(".djdt-sp-detail-row")
    expect(details).to_be_visible()
    inside = details.locator("dt", has_text="Inside").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(inside).to_contain_text(f"from {STARTER}")
    jump = inside.locator("button.djdt-sp-jump")
    expect(jump).to_have_attribute(
        "data-sp-target", started.get_attribute("data-sp-id")
    )
    thread = details.locator("dt", has_text="Thread").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(thread).to_have_text("send-reset-code")
    expect(details).to_contain_text("in mail_reset_code")
    expect(details).to_contain_text("demo.accounts.receivers.log_sent_mail")
    # The tag stays shown above the opened details.
    expect(tag).to_be_visible()


def test_a_threads_name_is_shown_as_text(page: Page, site: Site):
    """A thread's name is the program's data: markup in it stays text."""
    name = '<b class="evil">x</b> & "y"'
    stats = {
        "version": 1,
        "summary": {"span_ms": 5.0, "request_finished": True},
        "dispatches": [
            {
                "id": 1,
                "group": 1,
                "signal": "shop.signals.outer",
                "start_ms": 0.5,
                "duration_ms": 3.0,
                "receivers": [
                    {
                        "name": "shop.receivers.start",
                        "start_ms": 0.6,
                        "duration_ms": 2.8,
                    }
                ],
            },
            {
                "id": 2,
                "group": 2,
                "signal": "shop.signals.inner",
                "start_ms": 1.0,
                "duration_ms": 0.5,
                "parent": 1,
                "parent_kept": True,
                "parent_receiver": "shop.receivers.start",
                "thread": name,
                "receivers": [],
            },
        ],
    }
    panel = show(page, site, render_content(stats))
    tag = panel.root.locator(".djdt-sp-thread")
    expect(tag).to_have_count(1)
    expect(tag).to_have_text(f"in thread {name}")
    expect(tag).to_have_attribute(
        "title", f"Sent in the thread {name}, started inside this recording"
    )
    assert tag.evaluate("(el) => el.childElementCount") == 0
    expect(panel.root.locator(".evil")).to_have_count(0)
