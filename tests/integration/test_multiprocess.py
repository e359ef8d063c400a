"""More than one process: a request served by one worker, its panel by another.

gunicorn (WSGI, two workers: sync, and gthread with threads) with ddt's
DatabaseStore on a SQLite file and on PostgreSQL, and with CacheStore on
Redis; uvicorn (ASGI, two worker processes) with CacheStore on Redis (ddt
8's DatabaseStore fails under ASGI by itself). The page is served by one
worker; its panel is fetched through render_panel until another worker
serves that, and must show the same recording, request_finished included
(saved by the first worker after the response was sent).

PostgreSQL and Redis run as throwaway instances (tests/servers.py) from the
Debian packages ``postgresql`` and ``redis-server``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests import servers
from tests.servers import (  # noqa: F401  (fixtures)
    ARTICLE_PUBLISHED,
    NO_TOOLBAR,
    REQUEST_FINISHED,
    REQUEST_STARTED,
    get,
    path_for,
    poll,
    postgres_fixture,
    redis_server_fixture,
    registry_receivers,
    render_panel,
    signals_of,
    stored_stats,
    titles_of,
)

# (server, worker class, store, backing)
SETUPS = [
    ("gunicorn", "sync", "database", "sqlite"),
    ("gunicorn", "gthread", "database", "sqlite"),
    ("gunicorn", "sync", "database", "postgres"),
    ("gunicorn", "gthread", "database", "postgres"),
    ("gunicorn", "sync", "cache", "redis"),
    ("gunicorn", "gthread", "cache", "redis"),
    ("uvicorn", "", "cache", "redis"),
]
_databases = itertools.count(1)


@pytest.fixture(
    scope="module",
    params=SETUPS,
    ids=["-".join(filter(None, setup)) for setup in SETUPS],
)
def server(request: pytest.FixtureRequest) -> Iterator[servers.Server]:
    kind, worker_class, store, backing = request.param
    options: dict[str, Any] = {"store": store}
    if backing == "postgres":
        postgres = request.getfixturevalue("postgres")
        options["database_url"] = postgres.create_database(
            f"signal_panel_mp_{next(_databases)}"
        )
    elif backing == "redis":
        redis = request.getfixturevalue("redis_server")
        # One Redis database per server: stores of earlier servers stay apart.
        options["redis_url"] = redis.url.rsplit("/", 1)[0] + f"/{next(_databases)}"
    if kind == "gunicorn":
        factory = servers.gunicorn
        options["worker_class"] = worker_class
    else:
        factory = servers.uvicorn
    with servers.serving(factory, workers=2, **options) as running:
        yield running


def from_another_worker(
    server: servers.Server, request_id: str, pid: int
) -> servers.Response:
    """render_panel for ``request_id``, once served by a worker other than
    ``pid`` and showing request_finished."""

    def attempt() -> servers.Response | None:
        response = render_panel(server.base, request_id)
        assert response.status == 200, server.log()
        if response.pid == pid:
            return None
        if REQUEST_FINISHED not in response.json()["content"]:
            return None
        return response

    return poll(f"another worker than {pid} to serve the panel", attempt)


def stats_from(server: servers.Server, request_id: str, pid: int, same: bool) -> Any:
    """The stored stats, read by worker ``pid`` (same) or by another one."""

    def attempt() -> Any:
        response = get(
            server.base, path_for("/_test/stats/", request_id=request_id), NO_TOOLBAR
        )
        if (response.pid == pid) != same:
            return None
        stats = response.json()["stats"]
        return stats if stats and stats["summary"]["request_finished"] else None

    return poll(f"the stats from {'the same' if same else 'another'} worker", attempt)


@pytest.mark.parametrize("index", range(3))
def test_panel_from_another_worker_shows_the_same_recording(server, index):
    marker = f"multiprocess-{index}"
    page = get(server.base, path_for("/custom/", marker=marker))
    assert page.status == 200, server.log()
    assert page.pid is not None

    panel = from_another_worker(server, page.request_id, page.pid)

    content = panel.json()["content"]
    assert REQUEST_STARTED in content
    assert ARTICLE_PUBLISHED in content
    assert marker in content
    assert REQUEST_FINISHED in content
    here = stats_from(server, page.request_id, page.pid, same=True)
    there = stats_from(server, page.request_id, page.pid, same=False)
    assert here == there
    assert signals_of(there)[0] == REQUEST_STARTED
    assert signals_of(there)[-1] == REQUEST_FINISHED
    assert titles_of(there) == [repr(marker)]
    assert there["failures"] == []


def test_model_signals_of_a_request_from_another_worker(server):
    page = get(server.base, path_for("/articles/create/", title="mp-article"))
    assert page.status == 200, server.log()
    panel = from_another_worker(server, page.request_id, page.pid)
    content = panel.json()["content"]
    assert "django.db.models.signals.post_save" in content
    assert "testapp.Article" in content
    assert "testapp.Comment" in content


def test_the_registry_a_document_names_is_read_by_another_worker(server):
    """A worker stores its registry with one request's document, and its
    later documents name that request (``registry_in``) instead: another
    worker, whose own connections are not those, shows the Registry tab of
    such a request from the store, as the connections were when it ran."""

    def by_reference() -> tuple[servers.Response, dict[str, Any]] | None:
        page = get(server.base, path_for("/custom/", marker="registry"))
        assert page.status == 200, server.log()
        stats = stored_stats(server.base, page.request_id)
        return (page, stats) if "registry_in" in stats else None

    page, stats = poll("a document naming another's registry", by_reference)
    assert "registry" not in stats
    assert stored_stats(server.base, stats["registry_in"])["registry"]

    content = from_another_worker(server, page.request_id, page.pid).json()["content"]

    assert "tests.testapp.receivers.comment_on_new_article" in (
        registry_receivers(content)
    )
    # Not this worker's registry of now standing in for a lost one.
    assert "are no longer stored" not in content
