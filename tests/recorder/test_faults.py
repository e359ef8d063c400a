"""Faults: the recorder failing, the store write after request_finished, and
clients that go away.

A failure inside the recorder (forced here by making one of its steps raise)
must never reach the user's code: the request completes as without the
toolbar, the receivers run, and the stored stats list the failure (the panel
says the recording is incomplete). The write to the toolbar's store after
``request_finished`` must leave no database connection open and must not
record its own model signals; only a real server shows this (the test client
reorders ``request_finished``). A request whose ASGI client disconnects early
still ends its recording cleanly.
"""

from __future__ import annotations

import contextvars
import http.client
import json
import logging
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from debug_toolbar.toolbar import DebugToolbar
from django.dispatch import Signal

from signal_panel import panel as panel_module
from signal_panel import record_signals
from signal_panel.api import Recording
from signal_panel.describe import Describer
from signal_panel.panel import SignalPanel
from signal_panel.recorder import dispatch, probes
from signal_panel.toolbar import lifecycle
from tests import servers
from tests.servers import (
    NO_TOOLBAR,
    REQUEST_FINISHED,
    get,
    path_for,
    poll,
    postgres_fixture,  # noqa: F401  (fixture)
    read,
    stored_stats,
    titles_of,
)
from tests.testapp.models import Article, AuditEntry, Comment


class RecorderBroke(RuntimeError):
    pass


def broken(*args: Any, **kwargs: Any) -> Any:
    raise RecorderBroke("forced failure inside the recorder")


# (what to break, whether the stats can still list the failure)
FAULTS = {
    "Recording.start": (Recording, "start", True),
    "Recording.finish": (Recording, "finish", True),
    "Recording.count_orphan": (Recording, "count_orphan", True),
    "stats.to_stats": (panel_module, "to_stats", True),
    "RequestRecording.close": (lifecycle.RequestRecording, "close", True),
    # The probes handed to Django (the fallbacks; the compiled copies make a
    # sync receiver's call inline, where nothing can fail).
    "SyncProbe.__init__": (probes.SyncProbe, "__init__", True),
    "Describer.kwargs": (Describer, "kwargs", True),
    "Describer.value": (Describer, "value", True),
    # No RequestRecording at all: the panel records from the middleware on.
    "RequestRecording.__init__": (lifecycle.RequestRecording, "__init__", False),
    # The panel's own save after request_finished.
    "SignalPanel._save_finished": (SignalPanel, "_save_finished", False),
}


def request_id(response: Any) -> str:
    return re.search(rb'data-request-id="([0-9a-f]+)"', response.content)[1].decode()


def stored(response: Any) -> dict[str, Any]:
    return DebugToolbar.fetch(request_id(response), "SignalPanel").stats["SignalPanel"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.usefixtures("instrumentation")
def test_a_recorder_failure_never_reaches_the_request(
    client, monkeypatch, fault, instrumentation
):
    owner, name, listed = FAULTS[fault]
    monkeypatch.setattr(owner, name, broken)
    # Each way of instrumenting makes receivers' calls its own way.
    compiled = instrumentation == "compiled copies"
    if fault == "SyncProbe.__init__" and compiled:
        listed = False

    response = client.get("/articles/create/?title=Faulty")
    response.close()

    assert response.status_code == 200
    assert b"created Faulty" in response.content
    # Every receiver ran: the Article's created a Comment, whose made an entry.
    assert Article.objects.filter(title="Faulty").count() == 1
    assert Comment.objects.count() == 1
    assert AuditEntry.objects.count() == 1
    stats = stored(response)
    if listed:
        assert stats["failures"], "the stats say the recording is incomplete"
        assert any("forced failure inside the recorder" in f for f in stats["failures"])
        panel = client.get(
            "/__debug__/render_panel/",
            {"request_id": request_id(response), "panel_id": "SignalPanel"},
        )
        assert "incomplete" in panel.json()["content"]
    else:
        # Without its save after request_finished, the panel stored what it
        # stored with the response: the summary (or, for a recording of its
        # own, the whole document).
        assert stats["summary"]["dispatches"], "the panel still recorded the request"


@pytest.mark.django_db(transaction=True)
def test_a_double_fault_never_reaches_the_request(client, monkeypatch):
    """Recording.fail itself raising while reporting a failure."""
    monkeypatch.setattr(Recording, "start", broken)
    monkeypatch.setattr(Recording, "fail", broken)
    response = client.get("/articles/create/?title=Double")
    response.close()
    assert response.status_code == 200
    assert Comment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_recorder_failure_never_reaches_an_async_request(
    async_client, monkeypatch
):
    monkeypatch.setattr(Recording, "start", broken)
    response = await async_client.get("/async/?marker=faulty-async")
    assert response.status_code == 200
    assert b"async faulty-async" in response.content


class Another:
    """A sender never sent."""


def sync_receiver_of_another(**kwargs):
    return "another"


@pytest.mark.parametrize("fault", ["start", "finish", "resolved"])
@pytest.mark.parametrize("method", ["send", "send_robust", "asend", "asend_robust"])
def test_sends_behave_the_same_while_the_recorder_fails(
    monkeypatch, instrumentation, fault, method
):
    import asyncio

    signal = Signal()

    def sync_receiver(**kwargs):
        return "sync"

    async def async_receiver(**kwargs):
        return "async"

    signal.connect(sync_receiver)
    signal.connect(async_receiver)
    if fault == "resolved":
        # Taking in the receivers Django resolved, in either instrumentation:
        # a strong receiver of another sender is copied weakly, by weak_copy().
        signal.connect(sync_receiver_of_another, sender=Another, weak=False)
        monkeypatch.setattr(dispatch, "weak_copy", broken)
    else:
        monkeypatch.setattr(Recording, fault, broken)
    with record_signals() as recording:
        bound = getattr(signal, method)
        if method.startswith("a"):
            responses = asyncio.run(bound(sender=None))
        else:
            responses = bound(sender=None)
    assert sorted(responses, key=lambda pair: pair[1]) == [
        (async_receiver, "async"),
        (sync_receiver, "sync"),
    ]
    assert recording.failures


@pytest.mark.django_db(transaction=True)
def test_a_failing_save_after_request_finished_is_logged_not_raised(
    client, monkeypatch, caplog
):
    monkeypatch.setattr(SignalPanel, "_save_finished", broken)
    with caplog.at_level(logging.WARNING, logger="signal_panel"):
        response = client.get("/custom/?marker=unsaved")
        response.close()
    assert response.status_code == 200
    assert "could not save request_finished" in caplog.text


def test_a_context_that_outlives_its_recording_records_nothing_more():
    """A thread or task keeps a copy of the context it was started from;
    once the recording is closed, its later sends belong to no recording."""
    signal = Signal()
    signal.connect(lambda **kwargs: "ran", weak=False)
    with record_signals() as outer:
        with record_signals() as inner:
            context = contextvars.copy_context()
            signal.send(sender="inside")
        [(_, response)] = context.run(signal.send, sender="after inner closed")
        assert response == "ran"
    context.run(signal.send, sender="after both closed")

    assert [r.sender for r in inner.dispatches] == ["'inside'"]
    assert [r.sender for r in outer.dispatches] == [
        "'inside'",
        "'after inner closed'",
    ]
    assert inner.failures == outer.failures == []


# The store write after request_finished, through a real server.


@pytest.fixture(scope="module")
def database_server() -> Iterator[servers.Server]:
    with servers.serving(servers.runserver, store="database") as server:
        yield server


def open_db_files(base: str) -> int:
    return get(base, "/_test/open-db-files/", NO_TOOLBAR).json()["open"]


def test_the_final_store_write_leaves_no_connection_open(database_server):
    base = database_server.base
    # One keep-alive connection: its server thread lives on after the
    # response, so a connection the final write left open would stay open.
    connection = http.client.HTTPConnection("127.0.0.1", database_server.port)
    try:
        response = read(connection, path_for("/custom/", marker="conn-1"), None)
        assert response.status == 200
        stats = stored_stats(base, response.request_id)
        assert stats["summary"]["request_finished"]
        # Other threads' connections (the polling above) close as their
        # requests finish; the keep-alive thread's must be closed too.
        poll("no open SQLite connection", lambda: open_db_files(base) == 0)
        # The same thread serves the next request: still nothing left open.
        again = read(connection, path_for("/custom/", marker="conn-2"), None)
        stored_stats(base, again.request_id)
        poll("no open SQLite connection", lambda: open_db_files(base) == 0)
    finally:
        connection.close()


def test_the_final_store_write_records_no_model_signals(database_server):
    response = get(database_server.base, path_for("/custom/", marker="own-1"))
    stats = stored_stats(database_server.base, response.request_id)
    recorded = json.dumps([stats["dispatches"], stats["groups"], stats["orphans"]])
    assert "HistoryEntry" not in recorded
    assert "debug_toolbar" not in recorded
    assert [d["signal"] for d in stats["dispatches"]][-1] == REQUEST_FINISHED
    assert stats["failures"] == []


def test_the_final_store_write_leaves_no_postgres_connection_open(postgres):
    dbname = "signal_panel_conn"
    url = postgres.create_database(dbname)
    with servers.serving(
        servers.runserver, store="database", database_url=url
    ) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        try:
            for marker in ("pg-1", "pg-2"):
                response = read(connection, path_for("/custom/", marker=marker), None)
                stats = stored_stats(server.base, response.request_id)
                assert titles_of(stats) == [repr(marker)]
                poll(
                    "no open PostgreSQL connection",
                    lambda: postgres.backends(dbname) == 0,
                )
        finally:
            connection.close()


# A client that goes away (ASGI).


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[servers.Server]:
    with servers.serving(servers.uvicorn, store="memory") as server:
        yield server


def outlived(base: str, marker: str) -> dict[str, Any] | None:
    return get(base, path_for("/_test/outlived/", marker=marker)).json()["state"]


def test_an_early_disconnect_still_ends_the_recording(asgi_server):
    """The client goes away while the view runs: Django cancels the request
    (the sync view runs on, asgiref waits for it) and sends
    request_finished itself; the recording ends and is freed."""
    base = asgi_server.base
    marker = "gone-early"
    sock = socket.create_connection(("127.0.0.1", asgi_server.port))
    sock.sendall(
        f"GET /_test/outlive/?marker={marker}&seconds=1 HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n\r\n".encode()
    )
    poll("the view to start", lambda: outlived(base, marker))

    # Another request runs while the first one's client goes away.
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(
            get, base, path_for("/slow/", marker="bystander", seconds="1.5")
        )
        sock.close()
        state = poll(
            "the recording of the abandoned request to end",
            lambda: (
                (outlived(base, marker) or {}).get("closed") and outlived(base, marker)
            ),
        )
        bystander = other.result()

    assert state["returned"], "the view ran to its end"
    assert state["signals"] == [
        "django.core.signals.request_started",
        REQUEST_FINISHED,
        "tests.testapp.signals.article_published",
    ]
    # request_finished's sync receivers run on the request's thread
    # (thread-sensitive), after the view it still runs: so the view's send
    # happened while request_finished was being sent, before it ended.
    assert state["titles"] == [repr(marker)]
    assert state["failures"] == []
    stats = stored_stats(base, bystander.request_id)
    assert titles_of(stats) == ["'bystander'"]
    assert marker not in json.dumps(stats)
    # Nothing of the abandoned request stays alive in the server.
    poll(
        "the abandoned request's recording to be freed",
        lambda: get(base, "/_test/recordings/", NO_TOOLBAR).json()["alive"] == 1,
    )
    assert "Traceback" not in asgi_server.log()
