"""Findings on a real project say whose code they are about, and whose SQL it
was: the project's own receiver first, an installed package's (pagesearch
1.4.2) apart with advice the user can apply; a receiver's own queries apart
from those of the task an immediate backend ran inline inside it.

Run with ``--ds=tests.realproject.settings``
(tests/integration/test_realproject.py does).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.db.models.signals import post_save
from pagesearch.models import IndexStats

from signal_panel import record_signals
from signal_panel.conf import get_config
from signal_panel.report import format_stats
from signal_panel.view.render import render_content
from tests.realproject.models import Page
from tests.realproject.tree import SUBTREE_SIZE, build_tree

PROJECT_RECEIVER = "tests.realproject.receivers.decrement_parent_numchild"
PACKAGE_RECEIVER = "pagesearch.index.remove_from_index"
UPDATE_INDEX = "pagesearch.index.update_index"
INDEX_TASK = "pagesearch.tasks.index_object"
PAGES = 12


def sql_per_row(stats):
    return {f["receiver"]: f for f in stats["findings"] if f["kind"] == "sql_per_row"}


@pytest.fixture
def deleted_subtree(db):
    root = build_tree()
    with record_signals() as recording:
        root.delete()
    return recording.to_stats()


@pytest.fixture
def saved_pages(db):
    with record_signals() as recording:
        for number in range(PAGES):
            Page.objects.create(title=f"Page {number}")
    return recording.to_stats()


def receiver_sums(stats, name):
    [receiver] = [
        receiver
        for group in stats["groups"]
        for receiver in group["receivers"]
        if receiver["name"] == name and group["signal"].endswith("post_save")
    ]
    return receiver


# Whose code --------------------------------------------------------------------


def test_each_finding_says_whose_code_it_is(deleted_subtree):
    found = sql_per_row(deleted_subtree)
    assert found[PROJECT_RECEIVER]["owner"]["kind"] == "project"
    assert found[PACKAGE_RECEIVER]["owner"] == {
        "kind": "package",
        "distribution": "pagesearch",
        "version": "1.4.2",
    }
    assert all("owner" in finding for finding in deleted_subtree["findings"])


def test_the_projects_findings_come_first(deleted_subtree):
    kinds = [(f.get("owner") or {}).get("kind") for f in deleted_subtree["findings"]]
    assert kinds.index("project") < kinds.index("package")
    first_package = kinds.index("package")
    assert "project" not in kinds[first_package:]


def test_a_receiver_skipping_one_row_of_31_still_runs_sql_per_row(deleted_subtree):
    """The root page has no parent to update: 30 queries in 31 runs."""
    finding = sql_per_row(deleted_subtree)[PROJECT_RECEIVER]
    assert f"ran {SUBTREE_SIZE} times" in finding["detail"]
    assert "30 queries" in finding["detail"]


def test_a_packages_finding_gives_advice_the_user_can_apply(deleted_subtree):
    fix = sql_per_row(deleted_subtree)[PACKAGE_RECEIVER]["fix"]
    assert fix.startswith("pagesearch 1.4.2's receiver, not your code.")
    assert "`post_delete.disconnect(remove_from_index, sender=Page)`" in fix
    assert "report it upstream to pagesearch" in fix
    # Not the project's advice: the user cannot rewrite the package's code.
    assert "prefetch_related" not in fix
    # The project's own finding keeps it.
    assert "prefetch_related" in sql_per_row(deleted_subtree)[PROJECT_RECEIVER]["fix"]


def test_the_detail_does_not_say_request_outside_one(deleted_subtree):
    for finding in sql_per_row(deleted_subtree).values():
        assert "in this request" not in finding["detail"]
        assert "in this recording" in finding["detail"]


def test_the_report_lists_the_package_under_installed_packages(deleted_subtree):
    text = format_stats(deleted_subtree, width=200)
    own = text.index(f"SQL per row in a receiver: {PROJECT_RECEIVER}")
    heading = text.index("In installed packages:")
    package = text.index(f"SQL per row in a receiver: {PACKAGE_RECEIVER}")
    assert own < heading < package
    assert "(pagesearch 1.4.2)" in text


def test_the_panel_shows_the_packages_findings_in_a_collapsed_group(deleted_subtree):
    html = str(render_content(deleted_subtree))
    own = html.index(f"SQL per row in a receiver: {PROJECT_RECEIVER}")
    group = html.index('<details class="djdt-sp-findings-installed">')
    package = html.index(f"SQL per row in a receiver: {PACKAGE_RECEIVER}")
    assert own < group < package
    assert "1 finding in installed packages: pagesearch 1.4.2" in html
    assert 'data-sp-owner="package"' in html
    assert ">your code</span>" in html


# Own SQL and the task's ----------------------------------------------------------


def test_a_tasks_sql_is_not_its_receivers_own(saved_pages):
    sums = receiver_sums(saved_pages, UPDATE_INDEX)
    assert sums["runs"] == PAGES
    # update_index only enqueues: every query ran in the task.
    assert sums["queries"] == 0
    assert sums["nested_queries"] == 0
    [task] = sums["task_queries"]
    assert task["task"] == INDEX_TASK
    # At least the entry's update_or_create and count_update's UPDATE per page.
    assert task["count"] >= 2 * PAGES
    assert task["time_ms"] > 0


def test_a_detailed_call_keeps_its_tasks_sql(saved_pages):
    save = next(
        d
        for d in saved_pages["dispatches"]
        if d["signal"].endswith("post_save") and d["sender"] == "realproject.Page"
    )
    [call] = save["receivers"]
    assert call["name"] == UPDATE_INDEX
    # No SQL of its own or from its sends: absent, as empty fields are.
    assert "queries" not in call
    assert "nested_queries" not in call
    [task] = call["task_queries"]
    assert task["task"] == INDEX_TASK
    assert task["count"] >= 2


def test_the_finding_credits_the_task(saved_pages):
    finding = sql_per_row(saved_pages)[UPDATE_INDEX]
    sums = receiver_sums(saved_pages, UPDATE_INDEX)
    total = sums["task_queries"][0]["count"]
    assert f"with {total} queries" in finding["detail"]
    assert "None of its" in finding["detail"]
    assert f"run in task {INDEX_TASK}, which it enqueued" in finding["detail"]
    assert finding["owner"]["distribution"] == "pagesearch"


def test_the_summary_counts_each_query_once(saved_pages, db):
    """The task's own SQL moves out of its receiver's own; it is still
    counted once in the summary, as by a recording that ignores the task
    signals (which leaves it all as the receiver's own)."""
    patterns = ("*.task_started", "*.task_finished")
    config = dataclasses.replace(
        get_config(), ignore_signals=(*get_config().ignore_signals, *patterns)
    )
    IndexStats.objects.all().delete()  # As it was for the first recording.
    with record_signals(config) as recording:
        for number in range(PAGES):
            Page.objects.create(title=f"Again {number}")
    ignoring = recording.to_stats()
    assert ignoring["summary"]["queries"] == saved_pages["summary"]["queries"]
    sums = receiver_sums(ignoring, UPDATE_INDEX)
    assert sums["task_queries"] == []
    assert (
        sums["queries"] + sums["nested_queries"]
        == (receiver_sums(saved_pages, UPDATE_INDEX)["task_queries"][0]["count"])
    )


def test_own_queries_and_a_tasks_are_told_apart(db):
    """A receiver with SQL of its own that also enqueues the task."""
    from pagesearch.tasks import index_object

    def touch_and_index(sender, instance, created, **kwargs):
        Page.objects.filter(pk=instance.pk).exists()
        index_object.enqueue("realproject.Page", str(instance.pk), instance.title)

    post_save.connect(touch_and_index, sender=Page, weak=False)
    try:
        with record_signals() as recording:
            for number in range(PAGES):
                Page.objects.create(title=f"Touched {number}")
    finally:
        post_save.disconnect(touch_and_index, sender=Page)
    stats = recording.to_stats()
    name = f"{__name__}.test_own_queries_and_a_tasks_are_told_apart.<locals>"
    name += ".touch_and_index"
    sums = receiver_sums(stats, name)
    assert sums["queries"] == PAGES
    finding = sql_per_row(stats)[name]
    assert finding["owner"]["kind"] == "project"
    task = sums["task_queries"][0]["count"]
    per_run = f"{(PAGES + task) / PAGES:.1f}".removesuffix(".0")
    assert f"1 of its {per_run} queries per run are its own" in finding["detail"]


def test_the_panel_and_the_report_show_a_calls_task_sql(saved_pages):
    save = next(
        d
        for d in saved_pages["dispatches"]
        if d["signal"].endswith("post_save") and d["sender"] == "realproject.Page"
    )
    [task] = save["receivers"][0]["task_queries"]
    html = str(render_content(saved_pages))
    assert f"+{task['count']} in task <code>{INDEX_TASK}</code>" in html
    assert f"(+{task['count']} in tasks)" in format_stats(saved_pages, width=200)


def test_a_document_from_before_owners_and_tasks_still_renders(deleted_subtree):
    """Stored before these fields: every finding is the project's, listed as
    before; receivers without task or nested sums."""
    old = json.loads(json.dumps(deleted_subtree))
    for finding in old["findings"]:
        del finding["owner"]
    for group in old["groups"]:
        for receiver in group["receivers"]:
            del receiver["nested_queries"], receiver["task_queries"]
    for dispatch in old["dispatches"]:
        for call in dispatch["receivers"]:
            call.pop("task_queries", None)  # Left out when empty.
    html = str(render_content(old))
    assert "djdt-sp-findings-installed" not in html
    assert f"SQL per row in a receiver: {PACKAGE_RECEIVER}" in html
    assert "In installed packages:" not in format_stats(old, width=200)


def test_task_signals_imported_after_the_recording_started(db):
    """The backend's module (and its signals) may be imported lazily, by the
    first task enqueued while recording."""
    with record_signals() as recording:
        recording.task_signals.clear()  # As if not imported at its start.
        for number in range(PAGES):
            Page.objects.create(title=f"Late {number}")
    sums = receiver_sums(recording.to_stats(), UPDATE_INDEX)
    assert sums["queries"] == 0
    assert sums["task_queries"][0]["task"] == INDEX_TASK
