"""The stats document's summary (``analysis.stats``)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.analysis.stats import summary_of

sent = Signal()
unheard = Signal()


def counts(sender: Any, **kwargs: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return 1


def fails(sender: Any, **kwargs: Any) -> None:
    raise ValueError("refused")


def test_the_summary_built_alone_is_the_documents_and_adds_up_its_groups(db):
    """With the response the panel stores only the summary (``summary_of``);
    it must say what the whole document built later says, and what the
    groups it sums show."""
    sent.connect(counts)
    sent.connect(fails)
    try:
        with record_signals() as recording:
            for sender in ("a", "b", "a"):
                sent.send_robust(sender=sender)
            unheard.send(sender="nobody")
    finally:
        sent.disconnect(counts)
        sent.disconnect(fails)

    stats = recording.to_stats()
    summary = summary_of(recording)
    assert summary == stats["summary"]
    receivers = [r for group in stats["groups"] for r in group["receivers"]]
    assert summary["dispatches"] == sum(g["count"] for g in stats["groups"]) == 3
    assert summary["receivers"] == sum(r["runs"] for r in receivers) == 6
    assert summary["receiver_time_ms"] == round(
        sum(r["total_ms"] for r in receivers), 3
    )
    assert summary["queries"] == sum(r["queries"] for r in receivers) == 3
    assert summary["errors"] == sum(g["errors"] for g in stats["groups"]) == 3
    assert summary["orphans"] == 1
