"""The stats document (``analysis.stats``): its summary, its empty fields."""

from __future__ import annotations

import copy
import re
from typing import Any

from django.db import connection
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.analysis.stats import summary_of
from signal_panel.report import format_stats
from signal_panel.view.render import render_content

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


# Each field a dispatch, or a receiver's run, leaves out when it holds its
# empty value, and that value: what documents stored before held.
DISPATCH_EMPTIES = {
    "parent": None,
    "parent_kept": None,
    "parent_receiver": None,
    "model_context": [],
    "not_called": [],
    "error": None,
}
CALL_EMPTIES = {
    "is_async": False,
    "error": None,
    "queries": [],
    "nested_queries": {"count": 0, "time_ms": 0.0},
    "task_queries": [],
}


def with_empty_fields(stats: dict[str, Any]) -> dict[str, Any]:
    """``stats`` as a document stored before the empty fields were left out."""
    expanded = copy.deepcopy(stats)
    for dispatch in expanded["dispatches"]:
        for field, empty in DISPATCH_EMPTIES.items():
            dispatch.setdefault(field, copy.deepcopy(empty))
        for call in dispatch["receivers"]:
            for field, empty in CALL_EMPTIES.items():
                call.setdefault(field, copy.deepcopy(empty))
    return expanded


def shown(html: str) -> str:
    """The panel's HTML but the document it embeds for "Download JSON"."""
    return re.sub(r'<script[^>]*type="application/json"[^>]*>.*?</script>', "", html)


def nests(sender: Any, **kwargs: Any) -> None:
    sent.send_robust(sender="nested")


def test_a_dispatch_leaves_out_its_empty_fields_and_reads_the_same(db):
    """A plain dispatch and its receiver's run store none of their empty
    fields; the panel and the text report show a document the same with
    them left out and with them written, as stored before."""
    plain, outer = Signal(), Signal()
    plain.connect(counts)
    outer.connect(nests, sender="loud")
    outer.connect(counts, sender="other")
    sent.connect(counts)
    sent.connect(fails)
    try:
        with record_signals() as recording:
            plain.send(sender="quiet")
            outer.send(sender="loud")
    finally:
        sent.disconnect(counts)
        sent.disconnect(fails)

    stats = recording.to_stats()
    quiet, loud, nested = stats["dispatches"]
    assert set(quiet) & set(DISPATCH_EMPTIES) == set()
    [run] = quiet["receivers"]
    assert set(run) & set(CALL_EMPTIES) == {"queries"}  # It ran its own SQL.
    # What is not empty is there: the nesting, the failure, the receiver
    # connected for another sender, the nested SQL.
    assert (nested["parent"], nested["parent_kept"]) == (loud["id"], True)
    assert nested["parent_receiver"].endswith("nests")
    assert [r.get("error", {}).get("type") for r in nested["receivers"]] == [
        None,
        "builtins.ValueError",
    ]
    assert [c["name"] for c in loud["not_called"]] == [f"{__name__}.counts"]
    assert loud["receivers"][0]["nested_queries"]["count"] == 1

    expanded = with_empty_fields(stats)
    assert expanded != stats
    # The panel shows the same; only its "Download JSON" copy differs.
    assert shown(render_content(expanded)) == shown(render_content(stats))
    assert format_stats(expanded, width=120) == format_stats(stats, width=120)
