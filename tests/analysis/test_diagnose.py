"""Answers: why a receiver did not run, how often each ran, and the classic mistakes.

Everything here is computed when the stats are built, from the recording and
the signals' connections at that moment: never on the hot path.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import textwrap

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.db.models.signals import post_init, post_save
from django.dispatch import Signal
from django.test import override_settings

from signal_panel import record_signals
from signal_panel.analysis.wiring import unimported_receiver_modules
from tests.testapp.models import Article, AuditEntry, Reading

# Module-level, so that the registry (a scan of loaded modules) finds them.
echoed = Signal()
never_sent = Signal()
raising = Signal()
twice = Signal()
plain = Signal()


class Echo:
    """A sender."""


class Note:
    """Another sender."""


def for_echo(sender, **kwargs):
    return "echo"


def for_all(sender, **kwargs):
    return "all"


def breaks(sender, **kwargs):
    raise ValueError("broken")


@pytest.fixture
def connected():
    """Receivers connected for one test, and only for it."""
    made = []

    def connect(signal, receiver, **kwargs):
        signal.connect(receiver, **kwargs)
        made.append((signal, receiver, kwargs))

    yield connect
    for signal, receiver, kwargs in made:
        signal.disconnect(
            receiver,
            sender=kwargs.get("sender"),
            dispatch_uid=kwargs.get("dispatch_uid"),
        )


def kinds(stats):
    return [finding["kind"] for finding in stats["findings"]]


class TestOrphanSends:
    def test_a_receiver_connected_for_another_sender_says_so(self, connected):
        connected(echoed, for_echo, sender=Echo)
        with record_signals() as recording:
            echoed.send(sender=Note)
            echoed.send(sender=Note)
        [orphan] = recording.to_stats()["orphans"]
        assert orphan["count"] == 2
        assert orphan["receivers"] == [
            {
                "name": "tests.analysis.test_diagnose.for_echo",
                "reason": "connected for sender tests.analysis.test_diagnose.Echo; "
                "these sends' sender was tests.analysis.test_diagnose.Note",
            }
        ]

    def test_a_weak_receiver_that_died_says_so(self):
        class Listener:
            def heard(self, sender, **kwargs):
                return "heard"

        # A signal of its own: Django 6.1 leaves this dead connection in the
        # signal's list (it does not flag it), for later sends to skip.
        heard = Signal()
        with override_settings(DEBUG=False):  # DEBUG's check keeps receivers
            heard.connect(Listener().heard)  # a temporary's bound method
        with record_signals() as recording:
            assert heard.send(sender=Note) == []
        stats = recording.to_stats()
        [orphan] = stats["orphans"]
        assert orphan["receivers"] == [
            {"name": "(garbage-collected)", "reason": "dead weak reference"}
        ]
        assert "dead_weak" in kinds(stats)

    def test_a_receiver_connected_after_the_send_says_so(self, connected):
        with record_signals() as recording:
            echoed.send(sender=Note)
        connected(echoed, for_all)
        [orphan] = recording.to_stats()["orphans"]
        assert orphan["receivers"] == [
            {
                "name": "tests.analysis.test_diagnose.for_all",
                "reason": "connected after the send",
            }
        ]

    def test_a_send_with_nothing_connected_lists_no_receivers(self):
        with record_signals() as recording:
            never_sent.send(sender=Note)
        [orphan] = recording.to_stats()["orphans"]
        assert orphan["receivers"] == []


class TestRegistryStatuses:
    def statuses(self, recording):
        registry = recording.to_stats(with_registry=True)["registry"]
        return {
            (entry["signal"].rsplit(".", 1)[1], receiver["name"].rsplit(".", 1)[1]): (
                receiver["runs"],
                receiver["not_run"],
            )
            for entry in registry
            for receiver in entry["receivers"]
            if entry["signal"].startswith("tests.analysis.test_diagnose.")
        }

    def test_each_receiver_ran_or_says_why_not(self, connected):
        connected(echoed, for_echo, sender=Echo)
        connected(echoed, for_all)
        connected(never_sent, for_all)
        connected(raising, breaks)
        connected(raising, for_all)
        with record_signals() as recording:
            echoed.send(sender=Note)
            echoed.send(sender=Note)
            with pytest.raises(ValueError):
                raising.send(sender=Note)
        assert self.statuses(recording) == {
            ("echoed", "for_all"): (2, None),
            ("echoed", "for_echo"): (
                0,
                "sent only by sender tests.analysis.test_diagnose.Note",
            ),
            ("never_sent", "for_all"): (0, "signal not sent"),
            ("raising", "breaks"): (1, None),
            ("raising", "for_all"): (0, "not reached: an earlier receiver raised"),
        }


class TestExplain:
    def test_a_receiver_that_ran(self, connected):
        connected(echoed, for_all)
        with record_signals() as recording:
            echoed.send(sender=Note)
            echoed.send(sender=Echo)
        explanation = recording.explain(for_all)
        assert (explanation.runs, explanation.reasons) == (2, [])
        assert str(explanation) == "tests.analysis.test_diagnose.for_all ran 2x"

    def test_a_receiver_that_did_not(self, connected):
        connected(echoed, for_echo, sender=Echo)
        connected(never_sent, for_echo)
        with record_signals() as recording:
            echoed.send(sender=Note)
        explanation = recording.explain(for_echo)
        assert explanation.runs == 0
        assert sorted(explanation.reasons) == [
            "tests.analysis.test_diagnose.echoed: sent only by sender"
            " tests.analysis.test_diagnose.Note",
            "tests.analysis.test_diagnose.never_sent: signal not sent",
        ]
        assert str(explanation).startswith(
            "tests.analysis.test_diagnose.for_echo did not run:\n"
            "  tests.analysis.test_diagnose."
        )

    def test_a_receiver_connected_nowhere(self):
        with record_signals() as recording:
            pass
        assert recording.explain(breaks).reasons == ["not connected to any signal"]


def load_under(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestFindings:
    def test_correct_code_has_no_findings(self, db):
        with record_signals() as recording:
            Article.objects.create(title="fine")  # nested saves of other models
            list(Reading.objects.all())
        assert recording.to_stats()["findings"] == []

    def test_a_module_imported_under_two_names_connects_twice(self, tmp_path):
        path = tmp_path / "doubled.py"
        path.write_text(
            textwrap.dedent(
                """
                from django.dispatch import receiver

                from tests.analysis.test_diagnose import twice


                @receiver(twice)
                def on_twice(sender, **kwargs):
                    return "twice"
                """
            )
        )
        first = load_under("doubled", path)
        second = load_under("project.doubled", path)
        try:
            with record_signals() as recording:
                responses = twice.send(sender=None)
            assert len(responses) == 2  # the mistake: it runs twice per send
            [finding] = [
                f
                for f in recording.to_stats()["findings"]
                if f["kind"] == "connected_twice"
            ]
            assert finding["signal"] == "tests.analysis.test_diagnose.twice"
            assert finding["receiver"] == "doubled.on_twice"
            assert finding["detail"].startswith(
                "doubled.on_twice and project.doubled.on_twice (one function) is "
                "connected 2 times to tests.analysis.test_diagnose.twice"
            )
        finally:
            twice.disconnect(first.on_twice)
            twice.disconnect(second.on_twice)

    def test_a_dispatch_uid_connects_once_and_is_not_reported(self, connected):
        connected(twice, for_all, dispatch_uid="once")
        connected(twice, for_all, dispatch_uid="once")
        with record_signals() as recording:
            twice.send(sender=None)
        assert "connected_twice" not in kinds(recording.to_stats())

    def test_a_string_sender_on_a_plain_signal(self, tmp_path):
        path = tmp_path / "stringly.py"
        path.write_text(
            textwrap.dedent(
                """
                from django.dispatch import receiver

                from tests.analysis.test_diagnose import plain


                @receiver(plain, sender="testapp.Article")
                def on_article(sender, **kwargs):
                    return "never"
                """
            )
        )
        module = load_under("stringly", path)
        try:
            with record_signals() as recording:
                assert plain.send(sender=Article) == []
            [finding] = [
                f
                for f in recording.to_stats()["findings"]
                if f["kind"] == "string_sender"
            ]
            assert finding["receiver"] == "stringly.on_article"
            assert "sender='testapp.Article'" in finding["detail"]
        finally:
            # A plain signal keys a sender by id(): disconnect() needs the
            # very string object the module connected with, which nothing
            # keeps. Drop the connection itself, as disconnect() would.
            with plain.lock:
                plain.receivers = [
                    entry
                    for entry in plain.receivers
                    if entry[1]() is not module.on_article
                ]
                plain.sender_receivers_cache.clear()

    def test_a_string_sender_on_a_model_signal_is_fine(self, db, connected):
        connected(post_save, for_all, sender="testapp.Article")
        with record_signals() as recording:
            Article.objects.create(title="resolved")
        assert "string_sender" not in kinds(recording.to_stats())
        receivers = recording.filter(post_save)[0].receivers
        assert "tests.analysis.test_diagnose.for_all" in receivers

    def test_a_post_save_receiver_saving_its_instance_again(self, db, connected):
        def touch_again(sender, instance, **kwargs):
            if not getattr(instance, "touched", False):
                instance.touched = True
                instance.save()

        connected(post_save, touch_again, sender=Article, weak=False)
        with record_signals() as recording:
            Article.objects.create(title="again")
        [finding] = [
            f for f in recording.to_stats()["findings"] if f["kind"] == "reentrant_save"
        ]
        assert finding["receiver"].endswith("touch_again")
        outer, inner = finding["dispatches"]
        saves = {record.id: record for record in recording.filter(post_save)}
        assert saves[inner].parent_id == outer
        assert saves[inner].kwarg("instance") == saves[outer].kwarg("instance")

    def test_a_receiver_running_sql_per_row(self, db, connected):
        Reading.objects.bulk_create(Reading(value=i) for i in range(25))

        def count_per_row(sender, instance, **kwargs):
            instance.entries = AuditEntry.objects.count()

        connected(post_init, count_per_row, sender=Reading, weak=False)
        with record_signals() as recording:
            list(Reading.objects.all())
        [finding] = [
            f for f in recording.to_stats()["findings"] if f["kind"] == "sql_per_row"
        ]
        assert finding["receiver"].endswith("count_per_row")
        assert "ran 25 times" in finding["detail"]
        assert "25 queries" in finding["detail"]

    def test_many_rows_without_sql_are_not_reported(self, db):
        Reading.objects.bulk_create(Reading(value=i) for i in range(25))
        with record_signals() as recording:
            list(Reading.objects.all())  # note_reading_loaded: no SQL
        assert "sql_per_row" not in kinds(recording.to_stats())


class TestReceiverModuleNeverImported:
    APPS = [*settings.INSTALLED_APPS, "tests.mistakes.apps.MistakesConfig"]

    def test_found_in_the_stats_and_by_the_system_check(self):
        assert "tests.mistakes.receivers" not in sys.modules
        with override_settings(INSTALLED_APPS=self.APPS):
            assert unimported_receiver_modules() == [
                ("mistakes", "tests.mistakes.receivers")
            ]
            with record_signals() as recording:
                pass
            [finding] = [
                f for f in recording.to_stats()["findings"] if f["kind"] == "unimported"
            ]
            assert finding["title"].endswith("tests.mistakes.receivers")
            assert "AppConfig.ready()" in finding["fix"]
            warnings = [w for w in run_checks() if w.id == "signal_panel.W002"]
            assert [w.obj for w in warnings] == ["tests.mistakes.receivers"]

    def test_not_once_imported_nor_without_receivers(self):
        with override_settings(INSTALLED_APPS=self.APPS):
            importlib.import_module("tests.mistakes.receivers")
            # tests.mistakes.signals is imported too, but it would not count:
            # it only defines signals.
            assert unimported_receiver_modules() == []
