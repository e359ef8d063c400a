"""Receivers of the events app, connected in ``EventsConfig.ready()``."""

import asyncio
import datetime
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.utils import timezone

from demo.events.signals import event_logged, price_checked, report_requested

logger = logging.getLogger(__name__)


@receiver(event_logged)
def append_to_event_log(sender: str, message: str, **kwargs: Any) -> int:
    """Append a line to the event log file; returns the line's length."""
    line = f"{timezone.now():%Y-%m-%d %H:%M:%S} [{sender}] {message}\n"
    path = settings.DEMO_EVENT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(line)
    return len(line)


# Receivers run in the order they were connected: this one first.
@receiver(report_requested)
def post_report_to_chat(sender: str, day: datetime.date, **kwargs: Any) -> None:
    """Post the report to the team chat, which is down today."""
    raise ConnectionError(f"chat.example.invalid is unreachable (report of {day})")


@receiver(report_requested)
def archive_report(sender: str, day: datetime.date, **kwargs: Any) -> str:
    """Archive the report; only reached if the receiver before it didn't raise."""
    return f"{sender} of {day:%Y-%m-%d} archived"


@receiver(price_checked)
def count_price_check(sender: str, sku: str, **kwargs: Any) -> int:
    """A sync receiver: under ``asend`` Django runs it in a worker thread."""
    key = f"events:price-checks:{sku}"
    cache.add(key, 0)
    return cache.incr(key)


@receiver(price_checked)
async def fetch_supplier_price(sender: str, sku: str, **kwargs: Any) -> Decimal:
    """An async receiver: awaits the (simulated) supplier's API."""
    await asyncio.sleep(0.02)
    return Decimal("9.90") + Decimal(sum(map(ord, sku)) % 100) / 100
