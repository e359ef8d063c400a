"""Isolation and concurrency through real servers.

Django's threaded WSGI server (runserver) and uvicorn (ASGI), each serving
requests concurrently while a thread that belongs to no request keeps sending
the same signal: every request's stored recording holds exactly its own
dispatches (none lost, none mixed, none from the background thread). One
keep-alive connection served by one server thread starts every recording
clean. Two thousand requests leave no recording, toolbar or stored request
behind beyond the toolbar's RESULTS_CACHE_SIZE.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests import servers
from tests.servers import (
    ARTICLE_PUBLISHED,
    NO_TOOLBAR,
    REQUEST_FINISHED,
    REQUEST_STARTED,
    get,
    path_for,
    read,
    signals_of,
    stored_stats,
    titles_of,
)

STORE_SIZE = 500
SENDS = 5


@pytest.fixture(scope="module", params=["runserver", "uvicorn"])
def server(request: pytest.FixtureRequest) -> Iterator[servers.Server]:
    factory = servers.runserver if request.param == "runserver" else servers.uvicorn
    with servers.serving(
        factory, store="memory", results_cache_size=STORE_SIZE
    ) as running:
        running.extra["kind"] = request.param
        yield running


def views_for(server: servers.Server) -> list[str]:
    if server.extra["kind"] == "uvicorn":
        return ["/_test/interleaved/", "/_test/ainterleaved/"]
    return ["/_test/interleaved/"]


def expected_titles(marker: str) -> list[str]:
    return [repr(f"{marker}#{index}") for index in range(SENDS)]


def assert_only_its_own(server: servers.Server, marker: str, response: Any) -> None:
    assert response.status == 200, server.log()
    stats = stored_stats(server.base, response.request_id)
    names = signals_of(stats)
    assert names[0] == REQUEST_STARTED
    assert names[-1] == REQUEST_FINISHED
    assert names.count(REQUEST_STARTED) == 1
    assert names.count(REQUEST_FINISHED) == 1
    assert names.count(ARTICLE_PUBLISHED) == SENDS
    assert titles_of(stats) == expected_titles(marker)
    assert stats["summary"]["dropped"] == 0
    assert stats["failures"] == []


class Background:
    """A thread in the server, started outside any request's context, that
    sends article_published(title=marker) until stopped."""

    def __init__(self, server: servers.Server, marker: str) -> None:
        self.server = server
        self.marker = marker

    def call(self, action: str) -> int:
        response = get(
            self.server.base,
            path_for("/_test/background/", marker=self.marker, action=action),
            NO_TOOLBAR,
        )
        return response.json()["sent"]

    def __enter__(self) -> Background:
        self.call("start")
        servers.poll("the background thread to send", lambda: self.call("status"))
        self.before = self.call("status")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.after = self.call("stop")


def run_concurrently(
    server: servers.Server, count: int, label: str
) -> list[tuple[str, servers.Response]]:
    views = views_for(server)
    jobs = [(views[index % len(views)], f"{label}-{index}") for index in range(count)]

    def one(job: tuple[str, str]) -> tuple[str, servers.Response]:
        view, marker = job
        return marker, get(
            server.base, path_for(view, marker=marker, count=SENDS, pause="0.01")
        )

    with (
        Background(server, f"background-{label}") as background,
        ThreadPoolExecutor(count) as pool,
    ):
        results = list(pool.map(one, jobs))
    assert background.after > background.before, "it sent during the requests"
    return results


@pytest.mark.parametrize("count", [2, 50])
def test_concurrent_requests_each_record_exactly_their_own(server, count):
    label = f"{server.extra['kind']}-{count}"
    for marker, response in run_concurrently(server, count, label):
        assert_only_its_own(server, marker, response)


def test_requests_on_one_keep_alive_connection_start_clean(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    threads = set()
    try:
        for index in range(6):
            marker = f"keepalive-{server.extra['kind']}-{index}"
            view = views_for(server)[index % len(views_for(server))]
            response = read(
                connection, path_for(view, marker=marker, count=SENDS), None
            )
            assert_only_its_own(server, marker, response)
            found = re.search(r"thread=(\d+)", response.text)
            if found:
                threads.add(found.group(1))
    finally:
        connection.close()
    if server.extra["kind"] == "runserver":
        # runserver serves a keep-alive connection on one thread.
        assert len(threads) == 1


def recorder_objects(server: servers.Server) -> dict[str, int]:
    return get(server.base, "/_test/recordings/", NO_TOOLBAR).json()


def test_two_thousand_requests_leave_nothing_behind(server):
    def batch(start: int, count: int) -> None:
        def worker(offset: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port)
            try:
                for index in range(start + offset, start + count, 4):
                    response = read(
                        connection,
                        path_for("/custom/", marker=f"memory-{index}"),
                        None,
                    )
                    assert response.status == 200
            finally:
                connection.close()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(worker, range(4)))

    def settled() -> dict[str, int] | None:
        # Requests that just ended are still being torn down (uvicorn closes
        # connections and tasks on the event loop): wait until only the
        # request asking holds a recording. A leak never settles.
        objects = recorder_objects(server)
        return objects if objects["alive"] == 1 else None

    batch(0, STORE_SIZE)  # fill the toolbar's store first
    before = servers.poll("the server to settle", settled)
    batch(STORE_SIZE, 2000)
    after = servers.poll("the server to settle", settled)

    # Only the request asking has a recording; no toolbar outlives its request.
    assert before["alive"] == after["alive"] == 1
    assert before["open"] == after["open"] == 1
    assert before["toolbars"] == after["toolbars"] == 0
    # The toolbar's store is capped by RESULTS_CACHE_SIZE.
    assert before["stored"] == after["stored"] == STORE_SIZE
