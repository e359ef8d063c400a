"""What a recording keeps of each dispatch: detail, cost, reasons, and bounds."""

import asyncio
import gc
import json
import sys

import django
import pytest
from asgiref.sync import sync_to_async
from debug_toolbar.store import get_store, serialize
from django.core.checks import run_checks
from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from signal_panel import record_signals
from signal_panel.checks import check_settings
from signal_panel.conf import Config, get_config
from tests.testapp.models import Article, Reading
from tests.testapp.signals import article_published, robust_signal


@pytest.fixture
def readings(db):
    Reading.objects.bulk_create(Reading(value=i) for i in range(10_000))


class TestModelSignals:
    def test_post_save_shows_the_view_line_that_saved(self, db, client):
        with record_signals() as recording:
            client.get("/articles/create/?title=Hi")

        article_saved, comment_saved = recording.filter(post_save)
        assert article_saved.sender == "testapp.Article"
        assert article_saved.kwarg("instance") == "testapp.Article(pk=1)"
        assert article_saved.model_context == [
            ["created", "True"],
            ["update_fields", "None"],
            ["raw", "False"],
            ["using", "'default'"],
        ]
        file, line, function = article_saved.call_site
        assert file.endswith("tests/testapp/views.py")
        assert function == "create_article"
        with open(file) as source:
            assert "Article.objects.create(" in source.readlines()[line - 1]
        # The nested save happened inside the first receiver.
        assert comment_saved.parent_id == article_saved.id
        assert comment_saved.call_site[2] == "comment_on_new_article"

    def test_queries_are_charged_to_the_innermost_receiver(self, db, instrumentation):
        with record_signals() as recording:
            Article.objects.create(title="x")

        article_saved, comment_saved = recording.filter(post_save)
        [outer] = article_saved.calls
        [inner] = comment_saved.calls
        assert outer.name == "tests.testapp.receivers.comment_on_new_article"
        assert outer.query_count == 1  # its own INSERT of the comment
        assert inner.name == "tests.testapp.receivers.audit_comment"
        assert inner.query_count == 1  # the audit INSERT, not charged to outer
        assert outer.nested_queries[0] == 1  # ...but rolled up to it
        stats = recording.to_stats()
        assert stats["summary"]["queries"] == 2


@pytest.mark.django_db(transaction=True)
async def test_sql_of_async_receivers_is_not_charged_to_a_sync_one(instrumentation):
    """A sync receiver that has returned owns no later query. (On Django 6.1
    the async receivers share one context: a query of one that runs after
    another has returned goes uncharged; see docs/compatibility.md.)"""
    signal = Signal()

    def sync_first(**kwargs):
        return "sync"

    # Each in a thread of its own: Django 6.1 runs async receivers in one
    # shared context, where two thread-sensitive ORM calls at once deadlock.
    count = sync_to_async(Article.objects.count, thread_sensitive=False)

    async def async_a(**kwargs):
        await asyncio.sleep(0)

    async def async_b(**kwargs):
        # Still running after async_a has returned.
        for _ in range(3):
            await asyncio.sleep(0)
        return await count()

    for receiver in (sync_first, async_a, async_b):
        signal.connect(receiver, weak=False)
    with record_signals() as recording:
        await signal.asend(sender=None)
    counts = {
        call.name.rsplit(".", 1)[1]: call.query_count
        for call in recording.dispatches[0].calls
    }
    assert counts["sync_first"] == 0
    assert counts["async_a"] == 0
    # The known limitation on 6.1, pinned so that a change shows.
    assert counts["async_b"] == (0 if django.VERSION >= (6, 1) else 1)


class TestReceiversNotCalled:
    def test_dead_weak_receiver(self):
        signal = Signal()

        def kept(sender, **kwargs):
            return "kept"

        def doomed(sender, **kwargs):
            return "doomed"

        # With DEBUG on, connect() checks receivers through an lru_cache that
        # keeps them alive; connect as a project with DEBUG off would.
        with override_settings(DEBUG=False):
            signal.connect(kept)
            signal.connect(doomed)
        del doomed
        gc.collect()
        with record_signals() as recording:
            assert signal.send(sender=None) == [(kept, "kept")]

        [dispatch] = recording.dispatches
        assert dispatch.not_called == [
            {"name": "(garbage-collected)", "reason": "dead weak reference"}
        ]


class TestVolume:
    def test_ten_thousand_rows_stay_bounded(self, client, readings):
        with record_signals() as recording:
            response = client.get("/readings/")
        assert b"<h1>10000 readings</h1>" in response.content

        stats = recording.to_stats(with_registry=True)
        summary = stats["summary"]
        # post_init has a receiver: 10,000 dispatches, grouped, 11 kept in detail.
        [group] = [g for g in stats["groups"] if g["sender"] == "testapp.Reading"]
        assert group["signal"] == "django.db.models.signals.post_init"
        assert group["count"] == 10_000
        assert group["detailed"] <= 11
        # pre_init has none: counted per (signal, sender), never stored one by one.
        assert {
            "signal": "django.db.models.signals.pre_init",
            "sender": "testapp.Reading",
            "count": 10_000,
            "receivers": [],
        } in stats["orphans"]
        assert summary["dropped"] >= 10_000 - 11
        assert len(stats["dispatches"]) <= 500
        stored = serialize(stats)
        assert len(stored.encode()) < 512 * 1024

    def test_max_detailed_caps_distinct_dispatches(self):
        signal = Signal()
        signal.connect(lambda sender, **kwargs: None, weak=False)
        with (
            override_settings(SIGNAL_PANEL={"MAX_DETAILED": 5}),
            record_signals() as recording,
        ):
            for sender in range(20):
                signal.send(sender=sender)
        stats = recording.to_stats()
        assert len(recording.dispatches) == 5
        assert stats["summary"]["dispatches"] == 20
        assert stats["summary"]["dropped"] == 15


class TestSafety:
    def test_secrets_are_masked_at_any_depth(self):
        signal = Signal()
        signal.connect(lambda sender, **kwargs: None, weak=False)
        with record_signals() as recording:
            signal.send(
                sender=None,
                api_key="sk-live-123",
                payload={"user": "ada", "password": "hunter2"},
                note="harmless",
            )
        dumped = json.dumps(recording.to_stats())
        assert "sk-live-123" not in dumped
        assert "hunter2" not in dumped
        assert ["note", "'harmless'"] in recording.dispatches[0].kwargs

    def test_extra_hidden_keys(self):
        signal = Signal()
        signal.connect(lambda sender, **kwargs: None, weak=False)
        with (
            override_settings(SIGNAL_PANEL={"HIDE_KEYS": ["otp"]}),
            record_signals() as recording,
        ):
            signal.send(sender=None, otp_code="424242")
        assert "424242" not in json.dumps(recording.to_stats())

    def test_masking_follows_djangos_hidden_settings_rule(self):
        # Django's error pages hide AUTH names: so does the recording,
        # including ``author``, which Django hides too (documented).
        signal = Signal()
        signal.connect(lambda sender, **kwargs: None, weak=False)
        with record_signals() as recording:
            signal.send(
                sender=None,
                authorization="Basic YWRhOmh1bnRlcjI=",
                auth_header="Bearer eyJhbGciOi",
                headers={"Authorization": "Digest abc123", "Accept": "text/html"},
                author="Ada Lovelace",
                note="harmless",
            )
        dumped = json.dumps(recording.to_stats())
        for secret in ("YWRhOmh1bnRlcjI=", "eyJhbGciOi", "Digest abc123", "Ada"):
            assert secret not in dumped
        described = dict(recording.dispatches[0].kwargs)
        assert described["authorization"] == "********"
        assert described["author"] == "********"
        assert "'text/html'" in described["headers"]
        assert described["note"] == "'harmless'"

    def test_masking_reads_djangos_pattern_and_hide_keys_adds_to_it(self):
        from django.views.debug import SafeExceptionReporterFilter

        from signal_panel.describe import DEFAULT_SECRET_PATTERN

        django_rule = SafeExceptionReporterFilter.hidden_settings.pattern
        assert set(django_rule.split("|")) <= set(DEFAULT_SECRET_PATTERN.split("|"))
        signal = Signal()
        signal.connect(lambda sender, **kwargs: None, weak=False)
        with (
            override_settings(SIGNAL_PANEL={"HIDE_KEYS": ["^ssn$"]}),
            record_signals() as recording,
        ):
            signal.send(sender=None, ssn="078-05-1120", auth="Basic zzz")
        dumped = json.dumps(recording.to_stats())
        assert "078-05-1120" not in dumped
        assert "zzz" not in dumped

    def test_querysets_stay_unevaluated_and_str_is_not_called(self, db):
        signal = Signal()
        signal.connect(lambda sender, **kwargs: None, weak=False)
        article = Article.objects.create(title="Secret title")
        queryset = Article.objects.filter(title__startswith="S")
        with CaptureQueriesContext(connection) as queries, record_signals() as rec:
            signal.send(sender=Article, instance=article, articles=queryset)
        assert len(queries) == 0
        assert queryset._result_cache is None
        assert rec.dispatches[0].kwargs == [
            ["instance", f"testapp.Article(pk={article.pk})"],
            ["articles", "<QuerySet testapp.Article (unevaluated)>"],
        ]


class TestRegistry:
    def test_lists_signals_and_receivers_and_marks_fired(self, db):
        with record_signals() as recording:
            Article.objects.create(title="x")
        registry = recording.to_stats(with_registry=True)["registry"]
        by_name = {entry["signal"]: entry for entry in registry}

        post_save_entry = by_name["django.db.models.signals.post_save"]
        assert post_save_entry["fired"] is True
        [receiver] = [
            r
            for r in post_save_entry["receivers"]
            if r["name"] == "tests.testapp.receivers.comment_on_new_article"
        ]
        assert receiver["sender"] == "testapp.Article"
        assert receiver["weak"] is True
        assert receiver["file"].endswith("tests/testapp/receivers.py")
        assert by_name["tests.testapp.signals.robust_signal"]["fired"] is False
        # Found by scanning modules, not from a hard-coded list.
        assert "tests.testapp.signals.article_published" in by_name
        # Signals without receivers are listed too.
        assert by_name["django.db.models.signals.pre_delete"]["receivers"] == []


class TestSettingsChecks:
    def test_valid_settings_pass(self):
        with override_settings(SIGNAL_PANEL={"MAX_DETAILED": 10, "EDITOR_URL": None}):
            assert check_settings() == []

    @pytest.mark.parametrize(
        ("value", "error_id"),
        [
            ("not a dict", "signal_panel.E001"),
            ({"MAX_DETAIL": 3}, "signal_panel.E002"),
            ({"MAX_DETAILED": 0}, "signal_panel.E003"),
            ({"REPR_LENGTH": "long"}, "signal_panel.E003"),
            ({"EDITOR_URL": "vscode://file/"}, "signal_panel.E003"),
            ({"EDITOR_URL": "java\tscript:alert(1)//{path}"}, "signal_panel.E003"),
            ({"EDITOR_URL": " \x00JavaScript:alert(1)//{path}"}, "signal_panel.E003"),
            ({"EDITOR_URL": "data:text/html,{path}"}, "signal_panel.E003"),
            ({"INSTRUMENTATION": "compiled"}, "signal_panel.E003"),
            ({"HIDE_KEYS": ["(unclosed"]}, "signal_panel.E004"),
        ],
    )
    def test_bad_values_name_the_setting(self, value, error_id):
        with override_settings(SIGNAL_PANEL=value):
            errors = run_checks()
        assert error_id in [error.id for error in errors]
        assert any("SIGNAL_PANEL" in error.msg for error in errors)

    @pytest.mark.parametrize(
        "editor_url",
        [
            "vscode://file/{path}:{line}",
            "PyCharm://open?file={path}&line={line}",
            "http://localhost:63342/api/file/{path}:{line}",
            "/open-in-editor?file={path}",
        ],
    )
    def test_editor_and_web_links_pass(self, editor_url):
        with override_settings(SIGNAL_PANEL={"EDITOR_URL": editor_url}):
            assert check_settings() == []


class TestConfig:
    def test_the_defaults_are_what_no_setting_gives(self, settings):
        del settings.SIGNAL_PANEL
        get_config.cache_clear()
        assert Config() == get_config()

    def test_a_recordings_own_config_ignores_signals(self):
        ignored = "tests.testapp.signals.article_published"
        with (
            record_signals() as outer,
            record_signals(Config(ignore_signals=(ignored,))) as inner,
        ):
            article_published.send(sender="views", title="x")
            robust_signal.send_robust(sender="views")
        assert outer.signal_names() == [ignored, "tests.testapp.signals.robust_signal"]
        assert inner.signal_names() == ["tests.testapp.signals.robust_signal"]

    def test_the_toolbars_own_signals_are_ignored_by_any_config(self):
        from debug_toolbar.toolbar import DebugToolbar

        DebugToolbar._created.connect(collect_toolbar, weak=False)
        try:
            with record_signals(Config(ignore_signals=())) as recording:
                DebugToolbar._created.send(sender=None, toolbar=None)
        finally:
            DebugToolbar._created.disconnect(collect_toolbar)
        assert recording.dispatches == []
        assert recording.orphans == {}


def collect_toolbar(sender, toolbar, **kwargs):
    return toolbar


def test_store_round_trip_is_lossless(db):
    with record_signals() as recording:
        Article.objects.create(title="x")
    stats = recording.to_stats(with_registry=True)
    store = get_store()
    store.save_panel("round-trip", "SignalPanel", stats)
    assert store.panel("round-trip", "SignalPanel") == stats


def test_pytest_fixture_records_the_test(signal_recording, db):
    Article.objects.create(title="fixture")
    assert "django.db.models.signals.post_save" in signal_recording.signal_names()


def test_a_new_sender_per_send_stays_bounded():
    """``send(sender=self)`` from 5,000 objects must not make 5,000 groups."""

    class Row:
        pass

    heard, lonely = Signal(), Signal()
    heard.connect(lambda sender, **kwargs: None, weak=False)
    rows = [Row() for _ in range(5_000)]
    with record_signals() as recording:
        for row in rows:
            heard.send(sender=row)
            lonely.send(sender=row)
    stats = recording.to_stats()
    assert stats["summary"]["dispatches"] == 5_000
    assert stats["summary"]["orphans"] == 5_000
    assert len(stats["groups"]) <= 301
    assert len(stats["orphans"]) <= 301
    assert "(many senders)" in {group["sender"] for group in stats["groups"]}
    assert len(serialize(stats).encode()) < 512 * 1024


def test_every_orphan_send_is_counted_past_the_cap_when_ids_are_reused():
    """Senders freed and replaced by new ones at the same address: their
    counters are retired under keys of their own, never overwritten."""

    class Sender:
        pass

    kept = [Sender() for _ in range(300)]

    def a_new_sender_at_a_freed_address() -> Sender | None:
        # The allocator hands a freed block to the next object of its size:
        # nothing else of that size is made between the free and the new
        # senders (the loop's iterator and list exist before).
        order = iter(range(64))
        candidates: list[Sender | None] = [None] * 64
        victim = kept.pop()
        freed = id(victim)
        del victim
        for index in order:
            candidate = candidates[index] = Sender()
            if id(candidate) == freed:
                return candidate
        return None

    lonely = Signal()
    reused = 0
    with record_signals() as recording:
        for sender in kept:
            lonely.send(sender=sender)
        del sender
        for _ in range(10):
            replacement = a_new_sender_at_a_freed_address()
            if replacement is not None:
                reused += 1
                lonely.send(sender=replacement)
                del replacement
    assert reused >= 5, "ids were not reused: the case is not tested"
    assert sum(orphan.count for orphan in recording.orphans.values()) == 300 + reused
    assert recording.to_stats()["summary"]["orphans"] == 300 + reused


def test_the_slowest_of_a_group_is_kept_in_detail():
    import time

    signal = Signal()

    def sometimes_slow(sender, n, **kwargs):
        if n == 13:
            time.sleep(0.02)

    signal.connect(sometimes_slow)
    with record_signals() as recording:
        for n in range(20):
            signal.send(sender="loop", n=n)
    stats = recording.to_stats()
    [group] = stats["groups"]
    assert group["count"] == 20
    kept = [d["kwargs"] for d in stats["dispatches"]]
    assert len(kept) == 11  # the first ten, and the slowest
    assert kept[-1] == [["n", "13"]]
    assert stats["summary"]["dropped"] == 9
    assert group["max_ms"] >= 20


def test_weakly_connected_bound_methods_group_and_count_as_called():
    """A WeakMethod yields a new bound method object on every send."""

    class Panel:
        def on_signal(self, sender, **kwargs):
            return "seen"

    panel = Panel()
    signal = Signal()
    signal.connect(panel.on_signal)
    with record_signals() as recording:
        for _ in range(30):
            signal.send(sender="page")
    stats = recording.to_stats()
    [group] = stats["groups"]
    assert group["count"] == 30
    assert group["receivers"][0]["name"].endswith("Panel.on_signal")
    assert all("not_called" not in d for d in stats["dispatches"])  # none


def test_the_slowest_of_a_group_lists_the_connections_as_they_were():
    """connect() appends to Django's list in place: the record kept when the
    send ends (the group's slowest) must not list a receiver connected while
    the send ran."""
    import time

    signal = Signal()

    def late(sender, **kwargs):
        return None

    def first(sender, slow, **kwargs):
        if slow:
            signal.connect(late, weak=False)
            time.sleep(0.02)

    signal.connect(first)
    with record_signals(Config(detailed_per_group=1)) as recording:
        signal.send(sender=None, slow=False)  # kept in detail when it starts
        signal.send(sender=None, slow=True)  # slower: kept when it ends
    slowest = recording.dispatches[0].group.slowest
    assert slowest is not None
    assert [call.name for call in slowest.calls] == [
        "tests.recording.test_recording.test_the_slowest_of_a_group_lists_the_connections"
        "_as_they_were.<locals>.first"
    ]
    assert slowest.not_called == []


def test_a_bound_method_never_joins_a_group_keyed_by_plain_ids():
    """Groups of plain receivers are keyed by id(); a bound method can take
    the address of a freed receiver, so with one among the receivers the key
    is always _make_id's (the receiver object and its function)."""
    from signal_panel.recording.records import Group, hold_sender

    class Handler:
        def on_send(self, sender, **kwargs):
            return "method"

    signal = Signal()
    method = Handler().on_send
    signal.connect(method, weak=False)  # The same object on every send.
    with record_signals() as recording:
        # As if a receiver freed before had had the method's address.
        freed = Group(0, signal, "None", ["a freed receiver"], hold_sender(None))
        recording.groups[(id(signal), id(None), id(method))] = freed
        signal.send(sender=None)
    assert freed.count == 0
    assert [group.receivers for group in recording.groups.values()][1] == [
        "tests.recording.test_recording.test_a_bound_method_never_joins_a_group_keyed_by"
        "_plain_ids.<locals>.Handler.on_send"
    ]


def test_a_freed_sender_whose_id_is_reused_is_not_merged_into_its_group():
    class Sender:
        def __init__(self, name):
            self.name = name

    signal = Signal()
    signal.connect(lambda sender, **kwargs: None, weak=False)
    with record_signals() as recording:
        for n in range(50):
            # Each sender is freed right after its send; CPython reuses ids.
            signal.send(sender=Sender(f"sender-{n}"))
            signal.send(sender=f"text-{n}" * 2)
    stats = recording.to_stats()
    assert sum(group["count"] for group in stats["groups"]) == 100
    assert all(group["count"] == 1 for group in stats["groups"])
    texts = {d["sender"] for d in stats["dispatches"] if "text-" in d["sender"]}
    assert len(texts) == 50


def test_detailed_records_past_the_group_limit_keep_their_own_sender():
    signal = Signal()
    signal.connect(lambda sender, **kwargs: None, weak=False)
    senders = [object() for _ in range(320)]
    with record_signals() as recording:
        for n, sender in enumerate(senders):
            signal.send(sender=(n, sender))
    merged = [d for d in recording.dispatches if d.group.sender == "(many senders)"]
    assert len(merged) == 10  # DETAILED_PER_GROUP of the merged group
    assert [d.sender[:5] for d in merged] == [f"({n}," for n in range(300, 310)]


def test_thousands_of_keyword_arguments_are_cut_short():
    signal = Signal()
    signal.connect(lambda sender, **kwargs: None, weak=False)
    with record_signals() as recording:
        signal.send(sender=None, **{f"arg{n}": n for n in range(5_000)})
    [dispatch] = recording.dispatches
    assert len(dispatch.kwargs) == 51
    assert dispatch.kwargs[-1] == ["…", "4950 more keyword arguments"]


class TestNumbers:
    def test_dispatches_are_numbered_within_their_recording(self):
        outer_signal, inner_signal = Signal(), Signal()
        inner_signal.connect(lambda sender, **kwargs: "inner", weak=False)

        def sends_inner(sender, **kwargs):
            inner_signal.send(sender=None)

        outer_signal.connect(sends_inner, weak=False)
        for _ in range(2):  # Each recording starts at 1.
            with record_signals() as recording:
                outer_signal.send(sender=None)
                outer_signal.send(sender=None)
            assert [(d.id, d.parent_id) for d in recording.dispatches] == [
                (1, None),
                (2, 1),
                (3, None),
                (4, 3),
            ]
            stats = recording.to_stats()
            assert [(d["id"], d.get("parent")) for d in stats["dispatches"]] == [
                (1, None),
                (2, 1),
                (3, None),
                (4, 3),
            ]
            assert repr(recording.dispatches[3]).startswith("<DispatchRecord #4 ")

    def test_a_parent_sent_before_an_inner_recording_began_is_not_its_parent(self):
        outer_signal, inner_signal = Signal(), Signal()
        inner_signal.connect(lambda sender, **kwargs: "inner", weak=False)
        inner_recordings = []

        def opens_a_recording(sender, **kwargs):
            with record_signals() as inner:
                inner_signal.send(sender=None)
            inner_recordings.append(inner)

        outer_signal.connect(opens_a_recording, weak=False)
        with record_signals() as outer:
            outer_signal.send(sender=None)
        [inner] = inner_recordings
        assert [(d.id, d.parent_id) for d in inner.dispatches] == [(1, None)]
        assert [(d.id, d.parent_id) for d in outer.dispatches] == [(1, None), (2, 1)]


class TestTimeOutsideReceivers:
    def test_the_recorders_own_work_is_not_the_dispatchs(self, monkeypatch):
        """Describing a dispatch kept in detail happens before its receivers
        run: it must not count as the dispatch's time."""
        import time

        from signal_panel.describe import Describer

        original = Describer.kwargs

        def slow_kwargs(self, named):
            time.sleep(0.05)  # Describing the keyword arguments, slowly.
            return original(self, named)

        monkeypatch.setattr(Describer, "kwargs", slow_kwargs)
        signal = Signal()
        signal.connect(lambda sender, **kwargs: "fast", weak=False)
        with record_signals() as recording:
            began = time.perf_counter()
            signal.send(sender=None)
            took = time.perf_counter() - began
        [dispatch] = recording.dispatches
        assert took >= 0.05
        assert dispatch.duration < 0.04
        [call] = dispatch.calls
        assert dispatch.start <= call.start
        assert call.start + call.duration <= dispatch.start + dispatch.duration

    def test_collector_pauses_during_a_dispatch_are_counted(self):
        import gc

        signal, quiet = Signal(), Signal()

        def collects(sender, **kwargs):
            gc.collect()

        signal.connect(collects, weak=False)
        quiet.connect(lambda sender, **kwargs: None, weak=False)
        gc.disable()  # No collection but the receiver's.
        try:
            with record_signals() as recording:
                signal.send(sender=None)
                quiet.send(sender=None)
        finally:
            gc.enable()
        collecting, calm = recording.to_stats()["dispatches"]
        summary = recording.to_stats()["summary"]
        if sys.version_info[:2] == (3, 11):
            # Not measured there (signal_panel/recorder/gc_pauses.py says why).
            assert "gc_ms" not in collecting and "gc_ms" not in calm
            assert summary["gc_ms"] is None
            return
        assert collecting["gc_ms"] > 0
        assert calm["gc_ms"] == 0
        assert summary["gc_ms"] >= collecting["gc_ms"]

    def test_time_outside_receivers(self):
        import time

        signal = Signal()
        signal.connect(lambda sender, **kwargs: time.sleep(0.01), weak=False)

        def slow_resolution(sender):
            time.sleep(0.02)  # Django's own work, before any receiver runs.
            return original(signal, sender)

        original = type(signal)._live_receivers
        signal._live_receivers = slow_resolution
        with record_signals() as recording:
            signal.send(sender=None)
        [dispatch] = recording.to_stats()["dispatches"]
        [receiver] = dispatch["receivers"]
        assert dispatch["outside_ms"] >= 19
        assert receiver["duration_ms"] >= 9
        assert dispatch["outside_ms"] + receiver["duration_ms"] == pytest.approx(
            dispatch["duration_ms"], abs=0.01
        )


class TestMasking:
    def test_a_secret_named_dict_is_masked_by_its_own_keys(self):
        """user_login_failed's credentials: Django already starred the
        password; the username stays readable."""
        from signal_panel.describe import Describer

        kwargs = Describer().kwargs(
            {
                "credentials": {"username": "ada", "password": "****"},
                "api_keys": {"stripe": "sk_live_1"},
                "token": "t0ken",
            }
        )
        assert kwargs == [
            ["credentials", "{'username': 'ada', 'password': ********}"],
            ["api_keys", "********"],  # Nothing inside says where the secret is.
            ["token", "********"],
        ]
