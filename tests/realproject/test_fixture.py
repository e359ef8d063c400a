"""The real-project fixture works: pagesearch is an installed distribution
(tests/fixture_packages/pagesearch, under site-packages), and the project
(tests/realproject) dispatches what other tests expect of it. Run with
``--ds=tests.realproject.settings`` (tests/integration/test_realproject.py does).

Asserts on Django's dispatches (signal objects, senders, receivers, SQL),
not on how signal_panel names, counts or judges them.
"""

from __future__ import annotations

import importlib.metadata
import sysconfig
from pathlib import Path

import pagesearch
import pytest
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from pagesearch.backends import backends
from pagesearch.compat import task_backends, task_enqueued, task_finished, task_started
from pagesearch.index import remove_from_index, update_index
from pagesearch.models import IndexEntry
from pagesearch.signals import index_updated, setting_changed

from signal_panel import record_signals
from tests.realproject.models import Document, Image, Page
from tests.realproject.receivers import decrement_parent_numchild
from tests.realproject.tree import SUBTREE_SIZE, build_tree


def test_pagesearch_is_an_installed_distribution():
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(pagesearch.__file__).resolve().is_relative_to(site_packages)
    assert importlib.metadata.version("pagesearch") == "1.4.2"


def test_pagesearch_connects_like_a_real_package():
    assert pagesearch.signals.post_save is post_save
    assert pagesearch.signals.post_delete is post_delete
    for model in (Page, Document, Image):
        assert update_index in post_save._live_receivers(model)[0]
        assert remove_from_index in post_delete._live_receivers(model)[0]
    live = setting_changed._live_receivers(None)[0]
    assert len(backends) == 12
    for backend in backends:
        assert backend._clear_cached_properties in live


def receivers_of(recording, signal, sender):
    """The detailed dispatches of ``signal`` from ``sender``, and their count."""
    groups = [
        group
        for group in recording.groups.values()
        if group.signal is signal and group.sender_ref() is sender
    ]
    return sum(group.count for group in groups)


@pytest.mark.django_db
def test_deleting_a_subtree_sends_one_post_delete_per_page():
    root = build_tree()
    assert Page.objects.count() == SUBTREE_SIZE
    receivers = post_delete._live_receivers(Page)[0]
    assert decrement_parent_numchild in receivers
    assert remove_from_index in receivers
    with record_signals() as recording:
        deleted, _ = root.delete()
    assert deleted == SUBTREE_SIZE
    assert not Page.objects.exists()
    assert receivers_of(recording, post_delete, Page) == SUBTREE_SIZE


@pytest.mark.django_db
def test_saving_a_page_runs_the_index_task_inline():
    with record_signals() as recording:
        page = Page.objects.create(title="Home")
        # The task ran before save() returned.
        assert IndexEntry.objects.get(object_pk=str(page.pk)).title == "Home"
    stats = recording.to_stats()
    save_id = next(
        record.id
        for record in recording.dispatches
        if record.group.signal is post_save and record.group.sender_ref() is Page
    )
    save = next(d for d in stats["dispatches"] if d["id"] == save_id)
    # Page's only post_save receiver is pagesearch's update_index.
    assert post_save._live_receivers(Page)[0] == [update_index]
    [call] = save["receivers"]
    own = sum(q["count"] for q in call.get("queries") or ())
    task = sum(q["count"] for q in call.get("task_queries") or ())
    nested_count = call.get("nested_queries", {}).get("count", 0)
    assert own + nested_count + task > 0
    # The task's signals were sent from inside update_index's call.
    nested = [d for d in stats["dispatches"] if d.get("parent") == save["id"]]
    assert {d["parent_receiver"] for d in nested} == {call["name"]}
    sent = [
        (group.signal, group.count)
        for group in recording.groups.values()
        if group.signal in (task_enqueued, task_started, task_finished, index_updated)
    ]
    assert sorted(count for _, count in sent) == [1, 1, 1, 1]


@pytest.mark.django_db
def test_the_project_views(client):
    assert client.get(reverse("realproject:light")).status_code == 200
    assert client.get(reverse("realproject:publish")).status_code == 200
    assert IndexEntry.objects.filter(content_type="realproject.Page").count() == 1
    response = client.get(reverse("realproject:delete-subtree"))
    assert response.status_code == 200
    assert f"deleted {SUBTREE_SIZE} objects" in response.content.decode()


@pytest.mark.django_db
def test_the_immediate_backend_sends_the_task_signals_around_the_task():
    """What django.tasks (6.x) and django_tasks (5.2) send, identically: the
    backend's class as sender, one keyword argument ``task_result``."""
    seen = []

    def listen(signal, name):
        def receiver(sender, **kwargs):
            result = kwargs.get("task_result")
            status = result.status.name if result is not None else None
            seen.append((name, sender, sorted(kwargs), status))

        signal.connect(receiver, weak=False, dispatch_uid=f"test.{name}")
        return lambda: signal.disconnect(dispatch_uid=f"test.{name}")

    stops = [
        listen(task_enqueued, "enqueued"),
        listen(task_started, "started"),
        listen(index_updated, "index_updated"),
        listen(task_finished, "finished"),
    ]
    try:
        Page.objects.create(title="Home")
    finally:
        for stop in stops:
            stop()
    backend = type(task_backends["default"])
    assert backend.__name__ == "ImmediateBackend"
    assert seen == [
        ("enqueued", backend, ["signal", "task_result"], "READY"),
        ("started", backend, ["signal", "task_result"], "RUNNING"),
        ("index_updated", Page, ["created", "entry", "signal"], None),
        ("finished", backend, ["signal", "task_result"], "SUCCESSFUL"),
    ]
