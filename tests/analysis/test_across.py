"""Receivers summed over many documents (signal_panel.analysis.across): real
recordings' documents, read back as a store would, and foreign ones."""

import json

import pytest
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.analysis.across import Totals, across
from tests.testapp.models import Article
from tests.testapp.signals import article_published, robust_signal

ANNOUNCE = "tests.testapp.receivers.announce"
COMMENT = "tests.testapp.receivers.comment_on_new_article"
PUBLISHED = "tests.testapp.signals.article_published"


def document(send) -> dict:
    """A recording's document, as a store gives it back (JSON)."""
    with record_signals() as recording:
        send()
    return json.loads(json.dumps(recording.to_stats()))


def publish(times: int):
    def send():
        for _ in range(times):
            article_published.send(sender=None, title="Hi")

    return send


def row(summary: dict, receiver: str) -> dict:
    (found,) = [r for r in summary["receivers"] if r["receiver"] == receiver]
    return found


class TestReceivers:
    def test_calls_time_and_sources_add_up_over_documents(self):
        docs = [("a", document(publish(2))), ("b", document(publish(5)))]
        summary = across(docs)
        announce = row(summary, ANNOUNCE)
        assert summary["documents"] == 2
        assert announce["signal"] == PUBLISHED
        assert announce["calls"] == 7
        assert announce["sources"] == 2
        per_doc = [
            r["total_ms"]
            for _, doc in docs
            for g in doc["groups"]
            for r in g["receivers"]
            if r["name"] == ANNOUNCE
        ]
        assert announce["total_ms"] == pytest.approx(sum(per_doc), abs=1e-3)
        assert announce["mean_ms"] == pytest.approx(sum(per_doc) / 7, abs=1e-3)
        assert 0 < announce["max_ms"] <= announce["total_ms"]
        assert announce["owner"]["kind"] == "project"
        # The top sources by calls; the costliest by time.
        assert [entry[0] for entry in announce["top"]] == [5, 2]
        assert announce["costliest"][0] in {"a", "b"}

    def test_own_queries_of_a_receiver_that_saves(self, db):
        def create():
            Article.objects.create(title="One")
            Article.objects.create(title="Two")

        summary = across([("r1", document(create)), ("r2", document(create))])
        comment = row(summary, COMMENT)
        assert comment["calls"] == 4
        assert comment["queries"] == 4  # one INSERT of a Comment per run
        assert comment["nested_queries"] == 4  # audit_comment's, nested
        assert comment["signal"] == "django.db.models.signals.post_save"

    def test_sorted_by_total_time(self):
        slow, fast = Signal(), Signal()

        def sleepy(sender, **kwargs):
            sum(range(20_000))

        def quick(sender, **kwargs):
            pass

        slow.connect(sleepy, weak=False)
        fast.connect(quick, weak=False)
        try:
            summary = across(
                [("r", document(lambda: (slow.send(None), fast.send(None))))]
            )
        finally:
            slow.disconnect(sleepy)
            fast.disconnect(quick)
        totals = [r["total_ms"] for r in summary["receivers"]]
        assert totals == sorted(totals, reverse=True)
        assert summary["receivers"][0]["receiver"].endswith("sleepy")

    def test_errors_of_a_receiver_alone_in_its_group_are_exact(self):
        lonely = Signal()

        def breaks(sender, **kwargs):
            raise ValueError("no")

        lonely.connect(breaks, weak=False)
        try:
            doc = document(lambda: [lonely.send_robust(None) for _ in range(15)])
        finally:
            lonely.disconnect(breaks)
        (found,) = across([("r", doc)])["receivers"]
        assert found["errors"] == 15  # 10 kept in detail, all counted
        assert found["errors_exact"] is True

    def test_errors_in_a_group_of_several_count_the_detailed_runs(self):
        doc = document(lambda: [robust_signal.send_robust(None) for _ in range(12)])
        summary = across([("r", doc)])
        fragile = row(summary, "tests.testapp.receivers.fragile")
        # The dispatches kept in detail: the group's first ten, and its
        # slowest if a later one was slower than those.
        kept = len(doc["dispatches"])
        assert kept in (10, 11)
        assert fragile["errors"] == kept
        assert fragile["errors_exact"] is False
        assert row(summary, "tests.testapp.receivers.sturdy")["errors"] == 0


class TestOrphans:
    def test_sends_with_no_receiver_add_up(self):
        nobody = Signal()
        docs = [
            ("a", document(lambda: [nobody.send(sender=None) for _ in range(3)])),
            ("b", document(lambda: nobody.send(sender=None))),
        ]
        orphans = across(docs)["orphans"]
        (mine,) = [o for o in orphans if o["count"] == 4]
        assert mine["sources"] == 2


class TestMerge:
    def test_merging_halves_gives_the_whole(self):
        docs = [(f"t{i}", document(publish(i + 1))) for i in range(5)]
        whole = Totals()
        left, right = Totals(), Totals()
        for index, (source, doc) in enumerate(docs):
            whole.add(source, doc)
            (left if index % 2 else right).add(source, doc)
        merged = Totals()
        merged.merge(json.loads(json.dumps(left.to_json())))
        merged.merge(json.loads(json.dumps(right.to_json())))
        assert merged.summary() == whole.summary()
        assert [e[0] for e in row(whole.summary(), ANNOUNCE)["top"]] == [5, 4, 3]


class TestTolerant:
    @pytest.mark.parametrize(
        "doc",
        [
            None,
            [],
            "text",
            {},
            {"version": 1, "groups": "x", "orphans": [1, None]},
            {"groups": [{"receivers": [{"name": 3, "runs": "x", "total_ms": None}]}]},
            {"groups": [{"signal": "s", "receivers": [{"name": "r", "runs": 2}]}]},
            {"dispatches": [{"receivers": [None, {"name": "r"}]}], "groups": [None]},
        ],
    )
    def test_foreign_documents_add_what_they_have(self, doc):
        summary = across([("x", doc), ("y", document(publish(1)))])
        assert row(summary, ANNOUNCE)["calls"] == 1
        json.dumps(summary)

    def test_a_receiver_without_details_has_its_mean_as_max(self):
        doc = {
            "groups": [
                {"signal": "s", "receivers": [{"name": "r", "runs": 4, "total_ms": 2}]}
            ]
        }
        (found,) = across([("x", doc)], owner=lambda name: {"kind": "package"})[
            "receivers"
        ]
        assert found["max_ms"] == 0.5
        assert found["owner"] == {"kind": "package"}


def test_ties_merge_the_same_whatever_the_order():
    def doc(total):
        receiver = {"name": "r", "runs": 1, "total_ms": total}
        return {"groups": [{"signal": "s", "receivers": [receiver]}]}

    parts = []
    for sources in (["a", "b"], ["b", "a"]):
        merged = Totals()
        for source in sources:
            alone = Totals()
            alone.add(source, doc(0.003))
            merged.merge(alone.to_json())
        parts.append(merged.summary(owner=lambda name: {})["receivers"][0])
    assert parts[0] == parts[1]
    assert parts[0]["costliest"] == ["b", 0.003, 1]
