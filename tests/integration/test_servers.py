"""Requests through real servers, read back through ddt's render_panel view.

Django's threaded WSGI server (``runserver --noreload``) and uvicorn (ASGI),
each in a subprocess, with each of ddt's stores. The test client reorders
``request_finished`` (HOST-FACTS), so only real servers show that it is
recorded and saved to the store after ``response.close()``.

ddt 8's DatabaseStore fails under ASGI by itself (ORM in an async context),
so uvicorn runs with MemoryStore and CacheStore; DatabaseStore with more than
one process is in test_multiprocess.py. CacheStore here uses Django's default
local-memory cache, which works within one process only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import servers
from tests.servers import (
    ARTICLE_PUBLISHED,
    REQUEST_FINISHED,
    REQUEST_STARTED,
    get,
    kwarg,
    panel_content,
    path_for,
    signals_of,
    stored_stats,
    titles_of,
)

COMBINATIONS = [
    ("runserver", "memory"),
    ("runserver", "database"),
    ("runserver", "cache"),
    ("uvicorn", "memory"),
    ("uvicorn", "cache"),
]
HANDLERS = {
    "runserver": "django.core.handlers.wsgi.WSGIHandler",
    "uvicorn": "django.core.handlers.asgi.ASGIHandler",
}


@pytest.fixture(
    scope="module", params=COMBINATIONS, ids=["-".join(c) for c in COMBINATIONS]
)
def server(request: pytest.FixtureRequest) -> Iterator[servers.Server]:
    kind, store = request.param
    factory = servers.runserver if kind == "runserver" else servers.uvicorn
    with servers.serving(factory, store=store) as running:
        running.extra.update(kind=kind, store=store)
        yield running


def test_request_signals_and_view_signals_in_render_panel(server: servers.Server):
    response = get(server.base, path_for("/custom/", marker="marker-render-1"))
    assert response.status == 200, server.log()

    content = panel_content(server.base, response.request_id)

    assert REQUEST_STARTED in content
    assert ARTICLE_PUBLISHED in content
    assert "marker-render-1" in content
    assert "tests.testapp.receivers.announce" in content
    assert "announced marker-render-1" in content
    assert REQUEST_FINISHED in content
    assert content.index(REQUEST_STARTED) < content.index(ARTICLE_PUBLISHED)
    assert content.index(ARTICLE_PUBLISHED) < content.index(REQUEST_FINISHED)


def test_stored_stats_run_from_request_started_to_request_finished(
    server: servers.Server,
):
    response = get(server.base, path_for("/custom/", marker="marker-stats-1"))
    stats = stored_stats(server.base, response.request_id)

    names = signals_of(stats)
    assert names[0] == REQUEST_STARTED
    assert names[-1] == REQUEST_FINISHED
    assert names.count(REQUEST_STARTED) == 1
    assert names.count(REQUEST_FINISHED) == 1
    assert titles_of(stats) == ["'marker-stats-1'"]
    started, finished = stats["dispatches"][0], stats["dispatches"][-1]
    assert started["sender"] == HANDLERS[server.extra["kind"]]
    assert "parent" not in finished  # top level
    assert stats["summary"]["request_finished"] is True
    assert stats["summary"]["span_ms"] is not None
    assert stats["failures"] == []
    # The toolbar's own machinery (HistoryEntry with DatabaseStore) is absent.
    assert "HistoryEntry" not in str(stats)
    assert "debug_toolbar" not in str(stats["groups"])


def test_model_signals_of_the_view(server: servers.Server):
    response = get(server.base, path_for("/articles/create/", title="model-sigs"))
    stats = stored_stats(server.base, response.request_id)

    post_saves = [
        d
        for d in stats["dispatches"]
        if d["signal"] == "django.db.models.signals.post_save"
    ]
    assert [d["sender"] for d in post_saves] == ["testapp.Article", "testapp.Comment"]
    # The Comment's post_save ran inside the Article's receiver.
    article, comment = post_saves
    assert comment["parent"] == article["id"]
    # AuditEntry's post_save (saved by the Comment's receiver) has no
    # receiver, and the post_save receivers connected for others say so.
    [audit] = [
        orphan
        for orphan in stats["orphans"]
        if orphan["signal"] == "django.db.models.signals.post_save"
        and orphan["sender"] == "testapp.AuditEntry"
    ]
    assert audit["count"] == 1
    reasons = {receiver["name"]: receiver["reason"] for receiver in audit["receivers"]}
    assert reasons["tests.testapp.receivers.comment_on_new_article"] == (
        "connected for sender testapp.Article; these sends' sender was "
        "testapp.AuditEntry"
    )
    content = panel_content(server.base, response.request_id)
    assert "testapp.Article" in content
    assert "comment_on_new_article" in content


def test_async_view(server: servers.Server):
    response = get(server.base, path_for("/async/", marker="marker-async-1"))
    stats = stored_stats(server.base, response.request_id)

    published = [d for d in stats["dispatches"] if d["signal"] == ARTICLE_PUBLISHED]
    assert [d["method"] for d in published] == ["asend"]
    assert titles_of(stats) == ["'marker-async-1'"]
    assert signals_of(stats)[-1] == REQUEST_FINISHED
    assert "django.db.models.signals.post_save" in signals_of(stats)


def test_two_concurrent_requests_each_see_only_their_own(server: servers.Server):
    markers = ["marker-concurrent-A", "marker-concurrent-B"]

    def one(marker: str) -> servers.Response:
        return get(server.base, path_for("/slow/", marker=marker, seconds="0.5"))

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(one, markers))

    for marker, other, response in zip(
        markers, reversed(markers), responses, strict=True
    ):
        assert response.status == 200, server.log()
        assert marker in response.text
        content = panel_content(server.base, response.request_id)
        assert marker in content
        assert other not in content
        stats = stored_stats(server.base, response.request_id)
        assert titles_of(stats) == [repr(marker)]
        assert signals_of(stats).count(REQUEST_STARTED) == 1
        assert signals_of(stats).count(REQUEST_FINISHED) == 1


@pytest.mark.parametrize("kind", ["runserver", "uvicorn"])
def test_the_process_environment_is_never_shown(kind: str):
    """A WSGI environ starts with the server's process environment: the
    panel shows the request it describes, never the environment."""
    canary = f"canary-{uuid.uuid4().hex}"
    factory = servers.runserver if kind == "runserver" else servers.uvicorn
    # First in the environment, where a description cut at 200 characters
    # would still show it.
    with servers.serving(factory, lead_env={"AAA_PANEL_CANARY": canary}) as server:
        response = get(server.base, path_for("/custom/", marker="env", api_key="k"))
        stats = stored_stats(server.base, response.request_id)
        content = panel_content(server.base, response.request_id)
    assert canary not in json.dumps(stats)
    assert canary not in content
    [started] = [d for d in stats["dispatches"] if d["signal"] == REQUEST_STARTED]
    described = kwarg(started, "environ" if kind == "runserver" else "scope")
    assert described == (
        "<WSGI environ: GET /custom/?marker=env&api_key=********>"
        if kind == "runserver"
        else "<ASGI scope: http GET /custom/?marker=env&api_key=********>"
    )
