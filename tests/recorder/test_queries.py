"""SQL run by receivers is charged to them, and Django's query hooks are untouched.

The recorder meters queries from ``CursorWrapper``'s executor methods, not
from ``connection.execute_wrappers``: a user's ``execute_wrapper()`` block,
Django's ``CaptureQueriesContext`` and ``assertNumQueries`` and the toolbar's
SQL panel see exactly what they see without recording.
"""

import textwrap

import pytest
from debug_toolbar.toolbar import DebugToolbar
from django.db import connection, connections
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from signal_panel import record_signals
from tests.integration.test_panel import request_id
from tests.servers import run_fresh_python
from tests.testapp.models import Article, AuditEntry

pytestmark = pytest.mark.django_db


def blocker(execute, sql, params, many, context):
    raise AssertionError(f"a query was blocked: {sql}")


def counting(calls):
    def wrapper(execute, sql, params, many, context):
        calls.append((sql, many, context["connection"].alias))
        return execute(sql, params, many, context)

    return wrapper


def every_connections_wrappers():
    return {alias: list(connections[alias].execute_wrappers) for alias in connections}


class TestExecuteWrappers:
    def test_a_recording_adds_no_execute_wrapper(self):
        with record_signals():
            Article.objects.create(title="x")
            assert connection.execute_wrappers == []
        assert every_connections_wrappers() == {"default": []}

    def test_a_recording_inside_a_users_wrapper_block(self):
        with connection.execute_wrapper(blocker):
            with record_signals():
                assert connection.execute_wrappers == [blocker]
            assert connection.execute_wrappers == [blocker]
        assert connection.execute_wrappers == []
        Article.objects.create(title="not blocked")

    def test_a_recording_closed_inside_a_users_wrapper_block(self):
        recording = record_signals()
        recording.__enter__()
        with connection.execute_wrapper(blocker):
            recording.__exit__(None, None, None)
            assert connection.execute_wrappers == [blocker]
        assert connection.execute_wrappers == []

    def test_a_users_wrapper_sees_the_receivers_queries_as_without_recording(self):
        plain, recorded = [], []
        with connection.execute_wrapper(counting(plain)):
            Article.objects.create(title="plain")
        with connection.execute_wrapper(counting(recorded)), record_signals():
            Article.objects.create(title="recorded")
        assert [many for _, many, _ in recorded] == [many for _, many, _ in plain]
        assert len(recorded) == len(plain) == 3  # article, comment, audit entry

    def test_the_first_recording_of_a_process_inside_a_wrapper_block(self, tmp_path):
        """Installing the recorder inside a user's block must not take the
        block's place in ``execute_wrappers``: run in a fresh process, where
        the first ``record_signals()`` installs it."""
        script = tmp_path / "first_recording.py"
        script.write_text(
            textwrap.dedent(
                """
                import django
                from django.conf import settings

                settings.configure(
                    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                                           "NAME": ":memory:"}},
                    INSTALLED_APPS=[],
                )
                django.setup()
                from django.db import connection
                from signal_panel import record_signals

                def blocker(execute, sql, params, many, context):
                    raise AssertionError("blocked")

                with connection.execute_wrapper(blocker):
                    with record_signals():
                        pass
                    assert connection.execute_wrappers == [blocker]
                assert connection.execute_wrappers == []
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                print("ok")
                """
            )
        )
        result = run_fresh_python(script)
        assert result.stdout.strip() == "ok", result.stderr


class TestDjangosQueryCounting:
    def test_capture_queries_context_sees_the_same_queries(self):
        with CaptureQueriesContext(connection) as plain:
            Article.objects.create(title="plain")
        with record_signals(), CaptureQueriesContext(connection) as recorded:
            Article.objects.create(title="recorded")
        assert len(recorded) == len(plain) == 3

    def test_assert_num_queries_inside_a_recording(self, django_assert_num_queries):
        with record_signals() as recording, django_assert_num_queries(3):
            Article.objects.create(title="x")
        [article_saved, comment_saved] = recording.filter(post_save)
        assert article_saved.calls[0].query_count == 1
        assert comment_saved.calls[0].query_count == 1


class TestCharging:
    def test_each_alias_is_counted_with_its_time(self):
        with record_signals() as recording:
            Article.objects.create(title="x")
        [_, comment_saved] = recording.filter(post_save)
        [audit] = comment_saved.calls
        [(count, seconds)] = audit.queries.values()
        assert list(audit.queries) == ["default"]
        assert count == 1
        assert 0 < seconds <= comment_saved.duration

    def test_queries_outside_receivers_are_charged_to_no_one(self):
        with record_signals() as recording:
            assert AuditEntry.objects.count() == 0
            list(Article.objects.all())
        assert recording.dispatches == []
        assert recording.to_stats()["summary"]["queries"] == 0

    def test_executemany_is_charged_too(self):
        from django.db.models.signals import post_save as saved

        def bulk(sender, **kwargs):
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO testapp_auditentry (message) VALUES (%s)",
                    [("a",), ("b",)],
                )

        saved.connect(bulk, sender=AuditEntry, weak=False)
        try:
            with record_signals() as recording:
                AuditEntry.objects.create(message="first")
        finally:
            saved.disconnect(bulk, sender=AuditEntry)
        [dispatch] = recording.filter(saved)
        assert [call.query_count for call in dispatch.calls] == [1]
        assert AuditEntry.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_toolbars_sql_panel_still_sees_every_query(client):
    with CaptureQueriesContext(connection) as executed:
        response = client.get("/articles/create/?title=Both")
    toolbar = DebugToolbar.fetch(request_id(response))
    sql = toolbar.stats["SQLPanel"]["queries"]
    inserts = [query["sql"] for query in sql if query["sql"].startswith("INSERT")]
    assert len(inserts) == 3  # the view's article, its comment, the audit entry
    assert len(sql) == len([q for q in executed if "django_session" not in q["sql"]])
    dispatches = toolbar.stats["SignalPanel"]["dispatches"]
    charged = sum(
        query["count"]
        for dispatch in dispatches
        for call in dispatch["receivers"]
        for query in call.get("queries", [])  # absent: none
    )
    assert charged == 2  # the comment (by one receiver) and the audit entry
