"""Views that send the events app's custom signals."""

import datetime
from collections import deque

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from demo.events.forms import EventForm
from demo.events.signals import event_logged, price_checked, report_requested

EVENT_LOG_TAIL = 15  # lines shown


@require_http_methods(["GET", "POST"])
def event_log(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event_logged.send(
            sender=form.cleaned_data["source"], message=form.cleaned_data["message"]
        )
        form = EventForm(initial={"source": form.cleaned_data["source"]})
    path = settings.DEMO_EVENT_LOG
    lines: deque[str] = deque(maxlen=EVENT_LOG_TAIL)
    if path.exists():
        with path.open(encoding="utf-8") as log:
            lines.extend(log)
    return render(
        request,
        "events/event_log.html",
        {"form": form, "lines": "".join(lines), "path": path},
    )


def _today() -> datetime.date:
    return timezone.localdate()


@require_GET
def robust(request: HttpRequest) -> HttpResponse:
    """``send_robust`` catches each receiver's exception and returns it."""
    responses = report_requested.send_robust(sender="daily-report", day=_today())
    results = [
        {
            "receiver": receiver.__qualname__,
            "failed": isinstance(response, Exception),
            "response": response,
        }
        for receiver, response in responses
    ]
    return render(request, "events/robust.html", {"results": results})


@require_GET
def plain_send(request: HttpRequest) -> HttpResponse:
    """``send`` lets the first receiver's exception propagate: a 500 page."""
    report_requested.send(sender="daily-report", day=_today())
    return render(request, "events/robust.html", {"results": []})  # never reached


@require_GET
async def price_check(request: HttpRequest) -> HttpResponse:
    """An async view awaiting ``asend``: one sync and one async receiver."""
    sku = request.GET.get("sku", "SKU-00042")
    responses = await price_checked.asend(sender="price-check", sku=sku)
    results = [(receiver.__qualname__, response) for receiver, response in responses]
    # The page's layout reads request.user; load it the async way, so that
    # rendering does not touch the database from the event loop.
    request.user = await request.auser()
    return render(request, "events/price_check.html", {"sku": sku, "results": results})
