"""The toolbar panel: stored stats, lazy rendering, stores, History, headers."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from debug_toolbar.models import HistoryEntry
from debug_toolbar.store import get_store, serialize
from debug_toolbar.toolbar import DebugToolbar
from django.conf import settings
from django.dispatch import Signal
from django.template.defaultfilters import floatformat
from django.test import override_settings

from signal_panel import record_signals
from signal_panel.analysis import process_state
from signal_panel.panel import SignalPanel
from signal_panel.toolbar import lifecycle, stored_registry
from tests.servers import registry_receivers
from tests.testapp.signals import article_published

DATABASE_STORE = "debug_toolbar.store.DatabaseStore"
# ddt only installs its HistoryEntry table when DatabaseStore is configured at
# start-up, so that store is tested by running this module in its own process.
CONFIGURED_STORE = os.environ.get("SIGNAL_PANEL_TEST_STORE")
STORES = (
    [CONFIGURED_STORE]
    if CONFIGURED_STORE
    else ["debug_toolbar.store.MemoryStore", "debug_toolbar.store.CacheStore"]
)


def request_id(response) -> str:
    return re.search(rb'data-request-id="([0-9a-f]+)"', response.content)[1].decode()


def render_panel(client, response) -> str:
    panel = client.get(
        "/__debug__/render_panel/",
        {"request_id": request_id(response), "panel_id": "SignalPanel"},
    )
    assert panel.status_code == 200
    return panel.json()["content"]


@pytest.fixture(params=STORES, ids=lambda path: path.rsplit(".", 1)[-1])
def store(request, settings):
    settings.DEBUG_TOOLBAR_CONFIG = {
        **settings.DEBUG_TOOLBAR_CONFIG,
        "TOOLBAR_STORE_CLASS": request.param,
    }
    return request.param


@pytest.mark.django_db(transaction=True)
def test_render_panel_shows_the_whole_request(client, store):
    response = client.get("/articles/create/?title=Stored")

    stored = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
    signals = [d["signal"] for d in stored["SignalPanel"]["dispatches"]]
    assert signals[0] == "django.core.signals.request_started"
    assert "django.db.models.signals.post_save" in signals
    assert signals[-1] == "django.core.signals.request_finished"
    content = render_panel(client, response)
    for name in ("request_started", "post_save", "request_finished"):
        assert name in content
    assert "tests.testapp.receivers.comment_on_new_article" in content
    assert "testapp.Article(pk=" in content


def test_database_store_in_its_own_process():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SIGNAL_PANEL_TEST_STORE": DATABASE_STORE}
    result = subprocess.run(
        # ddt's DatabaseStore cannot run under ASGI (it uses the ORM from
        # async code): the ASGI test runs with the other stores only.
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            __file__,
            "-k",
            "not own_process and not asgi",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[DatabaseStore]" not in result.stdout  # -q: only failures are named
    assert re.search(r"\b\d+ passed", result.stdout)


@pytest.mark.django_db(transaction=True)
def test_store_writes_are_not_recorded(client):
    response = client.get("/custom/?marker=db")
    stats = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
    stored = stats["SignalPanel"]
    senders = {d["sender"] for d in stored["dispatches"]}
    senders |= {o["sender"] for o in stored["orphans"]}
    assert "debug_toolbar.HistoryEntry" not in senders
    if CONFIGURED_STORE == DATABASE_STORE:
        assert HistoryEntry.objects.exists()


SUBTITLE = r"\d+ dispatch(es)? · \d+ receivers? · \d+\.\d\d ms"


def test_nav_subtitle_and_server_timing(client, db):
    response = client.get("/custom/?marker=subtitle")
    toolbar_html = response.content.decode()
    # Rendered with the page, before request_finished: its figures say so.
    assert re.search(SUBTITLE + ", up to the response<", toolbar_html)
    assert "SignalPanel_receivers;dur=" in response.headers["Server-Timing"]
    # From the store (History), they are the whole request's, as in the panel.
    stored = DebugToolbar.fetch(request_id(response), "SignalPanel")
    panel = stored.get_panel_by_id("SignalPanel")
    summary = panel.get_stats()["summary"]
    assert re.fullmatch(SUBTITLE, panel.nav_subtitle)
    # Rounded half up, as the panel's card rounds it (floatformat).
    assert panel.nav_subtitle.startswith(
        f"{summary['dispatches']} dispatches · {summary['receivers']} receivers · "
        f"{floatformat(summary['receiver_time_ms'], 2)} ms"
    )


def test_errors_show_in_the_subtitle(client, db):
    response = client.get("/robust/")
    assert "1 error" in response.content.decode()
    content = render_panel(client, response)
    assert "fragile receiver broke" in content


def test_history_rebuilds_the_panel_from_the_store_alone(client, db):
    first = client.get("/custom/?marker=older")
    client.get("/custom/?marker=newer")

    toolbar = DebugToolbar.fetch(request_id(first), "SignalPanel")
    panel = toolbar.get_panel_by_id("SignalPanel")
    assert panel.enabled
    assert "request_finished" in panel.content
    assert "&#x27;older&#x27;" in panel.content
    assert "dispatch" in panel.nav_subtitle


def test_toolbar_machinery_is_not_recorded(client, db):
    response = client.get("/custom/?marker=x")
    stats = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
    stored = stats["SignalPanel"]
    names = {g["signal"] for g in stored["groups"]}
    names |= {o["signal"] for o in stored["orphans"]}
    assert "django.core.signals.request_started" in names
    assert not [name for name in names if name.startswith("debug_toolbar.")]
    # The toolbar's own /__debug__/ requests are never stored as requests.
    ids_before = set(get_store().request_ids())
    render_panel(client, response)
    assert set(get_store().request_ids()) == ids_before


def test_requests_without_toolbar_are_not_stored(client, db):
    client.get("/custom/?marker=hidden", headers={"x-no-toolbar": "1"})
    store = get_store()
    for request_id_ in list(store.request_ids()):
        stats = store.panel(request_id_, "SignalPanel")
        assert "hidden" not in str(stats)


def test_panel_is_async_capable():
    assert SignalPanel.is_async is True


@override_settings(SIGNAL_PANEL={"IGNORE_SIGNALS": ["tests.testapp.signals.*"]})
def test_ignored_signals_are_not_recorded(client, db):
    response = client.get("/custom/?marker=ignored")
    stored = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
    signals = {g["signal"] for g in stored["SignalPanel"]["groups"]}
    assert "django.core.signals.request_started" in signals
    assert "tests.testapp.signals.article_published" not in signals


@pytest.mark.django_db(transaction=True)
async def test_asgi_request_is_recorded_from_start_to_finish(async_client):
    response = await async_client.get("/async/?marker=asgi")
    assert response.status_code == 200

    toolbar = await sync_to_async(DebugToolbar.fetch)(
        request_id(response), "SignalPanel"
    )
    dispatches = toolbar.stats["SignalPanel"]["dispatches"]
    methods = {(d["signal"], d["method"]) for d in dispatches}
    assert ("django.core.signals.request_started", "asend") in methods
    assert ("tests.testapp.signals.article_published", "asend") in methods
    assert ("django.db.models.signals.post_save", "send") in methods
    assert dispatches[-1]["signal"] == "django.core.signals.request_finished"


def test_signals_imported_later_are_ignored_too(client, db):
    """A pattern in IGNORE_SIGNALS applies to signals of modules imported late."""
    import importlib

    from signal_panel.sources.signal_names import signal_name

    signal_name(DebugToolbar._created)  # a scan before the import below
    module = importlib.import_module("debug_toolbar.panels.staticfiles")
    with record_signals() as recording:
        module.record_static_file_signal.send(sender=None, staticfiles_path="x")
    assert recording.orphans == {}


# The registry: once per process state, not per request -------------------------


def announce(sender, **kwargs):
    """Connected at run time by a test below."""


@pytest.mark.django_db(transaction=True)
def test_the_registry_is_stored_once_per_process_state(client, store):
    stored_registry._carrier.clear()  # As in a new process.
    first = client.get("/")
    second = client.get("/")

    carried = DebugToolbar.fetch(request_id(first), "SignalPanel").stats
    light = DebugToolbar.fetch(request_id(second), "SignalPanel").stats
    assert carried["SignalPanel"]["registry"]
    assert "registry" not in light["SignalPanel"]
    assert light["SignalPanel"]["registry_in"] == request_id(first)
    # The test client connects receivers of its own during each request
    # (templates rendered, exceptions): the second document stores those
    # signals' entries as they were then, not the whole registry.
    assert len(light["SignalPanel"].get("registry_changes", {})) <= 5
    assert len(serialize(light["SignalPanel"])) <= 10 * 1024
    # Both show the Registry, each as it was when the request ran.
    for response in (first, second):
        receivers = registry_receivers(render_panel(client, response))
        assert "tests.testapp.receivers.comment_on_new_article" in receivers


@pytest.mark.django_db(transaction=True)
def test_a_receiver_connected_at_run_time_shows_in_the_next_requests_registry(
    client, store
):
    before = client.get("/")
    article_published.connect(announce)
    try:
        after = client.get("/")
    finally:
        article_published.disconnect(announce)

    name = "tests.integration.test_panel.announce"
    assert name in registry_receivers(render_panel(client, after))
    # The request before it keeps the connections it ran with.
    assert name not in registry_receivers(render_panel(client, before))


@pytest.mark.django_db(transaction=True)
@override_settings(
    DEBUG_TOOLBAR_CONFIG={
        **settings.DEBUG_TOOLBAR_CONFIG,
        "TOOLBAR_STORE_CLASS": "debug_toolbar.store.MemoryStore",
        "RESULTS_CACHE_SIZE": 2,
    }
)
def test_the_registry_is_stored_again_when_its_request_leaves_the_store(client):
    get_store().clear()
    first, second, third = (client.get("/") for _ in range(3))

    assert not get_store().exists(request_id(first))
    stored = DebugToolbar.fetch(request_id(third), "SignalPanel").stats
    assert stored["SignalPanel"]["registry"]
    # The second's is gone with the first: this process's registry of now
    # stands in, and the tab says so if the connections changed since.
    content = render_panel(client, second)
    assert "tests.testapp.receivers.comment_on_new_article" in (
        registry_receivers(content)
    )
    second_state = DebugToolbar.fetch(request_id(second), "SignalPanel").stats
    changed = second_state["SignalPanel"]["process_state"] != (
        process_state.current().key
    )
    assert ("are no longer stored" in content) is changed


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_outlives_the_request_stores_its_count_when_it_ends(
    client, store
):
    from tests.testapp import views

    views.GO_ON.clear()
    response = client.get("/outliving-thread/")
    [mailer] = views.MAILERS
    try:
        stored = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
        summary = stored["SignalPanel"]["summary"]
        assert (summary["threads_at_end"], summary["threads_running"]) == (1, 1)
        assert summary["after_end"] == 0
        assert summary["threads_awaited"] is True
        content = render_panel(client, response)
        assert "1 was still running when this was stored" in content
    finally:
        views.GO_ON.set()
        mailer.join(10)
        views.MAILERS.clear()
    assert not mailer.is_alive()
    # Stored again, by a thread of the panel's own, once the mailer was done.
    assert lifecycle.wait_for_late_stores(10)
    stored = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
    summary = stored["SignalPanel"]["summary"]
    assert (summary["threads_at_end"], summary["threads_running"]) == (1, 0)
    assert summary["after_end"] == 2
    content = render_panel(client, response)
    assert "After the recording ended: 2 sends." in content
    assert "still running when this was stored" not in content
    # Its late sends are counted, never recorded.
    assert not any(
        d["signal"] == "tests.testapp.signals.article_published"
        for d in stored["SignalPanel"]["dispatches"]
    )
    assert not lifecycle.AWAITING


LATE = Signal()


def test_late_stores_run_in_the_panels_own_thread_and_the_oldest_is_let_go():
    go_on = threading.Event()
    workers: list[threading.Thread] = []
    ran_in: list[tuple[str, str]] = []

    def start(sender, **kwargs):
        worker = threading.Thread(target=go_on.wait, args=(10,), name="user-thread")
        workers.append(worker)
        worker.start()

    def note(label: str):
        return lambda recording: ran_in.append((label, threading.current_thread().name))

    LATE.connect(start, weak=False)
    try:
        recordings = []
        for _ in range(2):
            with record_signals() as recording:
                LATE.send(sender="view")
            recordings.append(recording)
        assert lifecycle.after_threads(recordings[0], note("first"), limit=1)
        assert lifecycle.after_threads(recordings[1], note("second"), limit=1)
        assert list(lifecycle.AWAITING) == [recordings[1]]  # The oldest let go.
        with record_signals() as idle:
            pass
        assert not lifecycle.after_threads(idle, note("idle"), limit=1)
    finally:
        go_on.set()
        LATE.disconnect(start)
        for worker in workers:
            worker.join(10)
    assert lifecycle.wait_for_late_stores(10)
    assert ran_in == [("second", "signal_panel-late-stores")]
    assert not lifecycle.AWAITING


@pytest.mark.django_db(transaction=True)
def test_with_the_response_only_the_summary_is_stored(client, monkeypatch, store):
    """The document is built once, after request_finished; what a panel
    fetched before then shows: the summary, and that the rest follows."""
    early: dict = {}
    save_finished = SignalPanel._save_finished

    def look_first(panel, recording):
        early.update(DebugToolbar.fetch(panel.toolbar.request_id, "SignalPanel").stats)
        early["content"] = panel.content
        save_finished(panel, recording)

    monkeypatch.setattr(SignalPanel, "_save_finished", look_first)
    response = client.get("/articles/create/?title=Early")

    assert set(early["SignalPanel"]) == {"version", "summary"}
    summary = early["SignalPanel"]["summary"]
    assert summary["dispatches"] >= 2 and not summary["request_finished"]
    assert "The dispatches are stored once the response is closed." in early["content"]
    assert "djdt-sp-unfinished" in early["content"]  # It fetches them again.
    stored = DebugToolbar.fetch(request_id(response), "SignalPanel").stats
    assert stored["SignalPanel"]["summary"]["request_finished"]
    assert stored["SignalPanel"]["dispatches"]


@pytest.mark.django_db(transaction=True)
def test_panels_rendered_into_the_page_get_the_whole_document(client, settings):
    settings.DEBUG_TOOLBAR_CONFIG = {
        **settings.DEBUG_TOOLBAR_CONFIG,
        "RENDER_PANELS": True,
    }
    response = client.get("/articles/create/?title=Inline")
    content = response.content.decode()
    assert "tests.testapp.receivers.comment_on_new_article" in content
    assert "The dispatches are stored once the response is closed." not in content
