"""The home page, which lists the demo pages, and the request lifecycle page."""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from demo.core import metrics


@dataclass(frozen=True)
class DemoPage:
    """One page of the demo and what to look for in the Signals panel."""

    url_name: str
    title: str
    look_for: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


PAGES = [
    DemoPage(
        "accounts:alerts",
        "Alerts",
        "post_save of accounts.Alert and the receiver AccountsConfig.ready() "
        "connected to log it.",
    ),
    DemoPage(
        "accounts:profiles",
        "Profiles",
        "post_save of auth.User with the Profile's post_save nested inside it; one "
        "receiver listens to post_save and post_delete, one clears a cached fragment.",
    ),
    DemoPage(
        "staff:shifts",
        "Staff shifts",
        "pre_save and post_save of staff.Employee, m2m_changed nested inside: "
        "compare the receiver's time with its queries in the SQL panel.",
    ),
    DemoPage(
        "events:event_log",
        "Event log",
        "demo.events.signals.event_logged, a custom signal sent with a plain "
        "string as its sender.",
    ),
    DemoPage(
        "accounts:login",
        "Log in",
        "user_logged_in and demo.accounts.signals.login_succeeded; a failed "
        "attempt shows user_login_failed, its credentials masked.",
    ),
    DemoPage(
        "events:robust",
        "Robust send",
        "send_robust: the receiver's ConnectionError is caught and shown, and "
        "the page still renders.",
    ),
    DemoPage(
        "events:plain_send",
        "Plain send",
        "send: the same error propagates to Django's 500 page; open the "
        "toolbar there, the panel recorded the raise.",
    ),
    DemoPage(
        "shop:orders",
        "Orders",
        "pre_init/post_init, pre_save/post_save and pre_delete/post_delete; a "
        "customer's deletion cascades; audit mode connects a receiver at run time.",
    ),
    DemoPage(
        "accounts:forgot_password",
        "Forgot password",
        "post_save of accounts.PasswordResetRequest: the receiver's time "
        "includes the worker thread it waits for while the email goes out; "
        "the post_save of accounts.SentMail that thread saves is nested under "
        'the receiver, tagged "in thread send-reset-code".',
    ),
    DemoPage(
        "events:price_check",
        "Async",
        "an async view awaiting asend of demo.events.signals.price_checked: "
        "one sync and one async receiver.",
    ),
    DemoPage(
        "shop:catalog",
        "Heavy list",
        "5,000 post_init dispatches in one group: a few kept in detail, the "
        "rest counted.",
    ),
    DemoPage(
        "mistakes:common_mistakes",
        "Common mistakes",
        "six findings at the top of the panel, each with its fix: a receivers "
        "module never imported (this one on every page: it is the project's), "
        "a receiver connected twice, a weak receiver that died, a string sender "
        "on a plain Signal, a re-entrant save, SQL per row in a receiver; "
        'its "Clear the queue" adds an installed package\'s (pagesearch '
        "1.4.2) SQL per row, in a collapsed group below the project's.",
    ),
    DemoPage(
        "lifecycle",
        "Request lifecycle",
        "request_started first and request_finished last, each with a receiver "
        "of the demo's own that takes about 3 ms.",
    ),
]


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {
            "pages": PAGES,
            "demo_username": settings.DEMO_USERNAME,
            "demo_password": settings.DEMO_PASSWORD,
        },
    )


def lifecycle(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/lifecycle.html",
        {
            "counters": metrics.snapshot(),
            "latency_ms": metrics.COLLECTOR_LATENCY * 1000,
        },
    )
