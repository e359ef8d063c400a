"""Start real servers (runserver, uvicorn, gunicorn, PostgreSQL, Redis) for tests.

Every server runs in its own subprocess, on a free loopback port, with the
tests project (``tests.settings``) and a throwaway SQLite file (or PostgreSQL
database) that is migrated first. Servers are stopped by their own process
group id when the fixture that started them ends.

The HTTP helpers talk ``http.client`` directly (no proxies from the
environment) and read the panel back the way the toolbar does: the request id
from ``data-request-id`` in the page, the content from ddt's ``render_panel``
view, and, for exact assertions, the stored stats document from the tests
project's ``/_test/stats/`` view.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
STORES = {
    "memory": "debug_toolbar.store.MemoryStore",
    "database": "debug_toolbar.store.DatabaseStore",
    "cache": "debug_toolbar.store.CacheStore",
}
REQUEST_STARTED = "django.core.signals.request_started"
REQUEST_FINISHED = "django.core.signals.request_finished"
ARTICLE_PUBLISHED = "tests.testapp.signals.article_published"
# How long a server may take to come up, and a stored recording to gain
# request_finished (saved after the response was sent). Not asserted on: only
# how long to keep polling before giving up with a useful message.
START_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0
NO_TOOLBAR = {"X-No-Toolbar": "1"}


def run_fresh_python(
    script: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a new Python process that imports the project from
    the checkout, with no Django settings module and no warning filters of
    this one: as a user's own script would start."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("DJANGO_SETTINGS_MODULE", "PYTHONWARNINGS"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=cwd,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# HTTP.


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def pid(self) -> int | None:
        value = self.headers.get("x-worker-pid")
        return int(value) if value else None

    @property
    def request_id(self) -> str:
        match = re.search(r'data-request-id="([0-9a-f]+)"', self.text)
        assert match, f"no toolbar in the response: {self.text[:500]!r}"
        return match.group(1)


def read(connection: http.client.HTTPConnection, path: str, headers: Any) -> Response:
    connection.request("GET", path, headers=dict(headers or {}))
    raw = connection.getresponse()
    body = raw.read()
    return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body)


def get(base: str, path: str, headers: Any = None, timeout: float = 60) -> Response:
    """One GET on a new connection."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        return read(connection, path, headers)
    finally:
        connection.close()


def path_for(path: str, **params: Any) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def poll(what: str, attempt: Callable[[], Any], timeout: float = POLL_TIMEOUT) -> Any:
    """Call ``attempt`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = attempt()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last: {last!r}")
        time.sleep(0.05)


def render_panel(base: str, request_id: str) -> Response:
    return get(
        base,
        path_for(
            "/__debug__/render_panel/", request_id=request_id, panel_id="SignalPanel"
        ),
    )


def panel_content(base: str, request_id: str) -> str:
    """The panel's HTML from ddt's render_panel, once request_finished is in it."""

    def attempt() -> str | None:
        response = render_panel(base, request_id)
        assert response.status == 200, response.text
        content = response.json()["content"]
        return content if REQUEST_FINISHED in content else None

    return poll(f"request_finished in the panel of {request_id}", attempt)


def stored_stats(base: str, request_id: str, finished: bool = True) -> dict[str, Any]:
    """The stats document stored for ``request_id`` (``/_test/stats/``)."""

    def attempt() -> dict[str, Any] | None:
        response = get(
            base, path_for("/_test/stats/", request_id=request_id), NO_TOOLBAR
        )
        assert response.status == 200, response.text
        stats = response.json()["stats"]
        if not stats:
            return None
        if finished and not stats["summary"]["request_finished"]:
            return None
        return stats

    return poll(f"the stored stats of {request_id}", attempt)


def registry_receivers(content: str) -> set[str]:
    """The receivers' names listed in a rendered panel's Registry tab."""
    tab = content[content.index('id="SignalPanel-registry"') :]
    return set(re.findall(r'data-sp-receiver="([^"]+)"', tab)) - {""}


def signals_of(stats: dict[str, Any]) -> list[str]:
    return [dispatch["signal"] for dispatch in stats["dispatches"]]


def kwarg(dispatch: dict[str, Any], name: str) -> str | None:
    for key, value in dispatch["kwargs"]:
        if key == name:
            return value
    return None


def titles_of(stats: dict[str, Any]) -> list[str | None]:
    """The ``title`` sent with each recorded article_published, in order."""
    return [
        kwarg(dispatch, "title")
        for dispatch in stats["dispatches"]
        if dispatch["signal"] == ARTICLE_PUBLISHED
    ]


# Processes.


def base_env(lead: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The server's environment; ``lead`` first, as the process will list it."""
    env = {
        **(lead or {}),
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SIGNAL_PANEL_TEST_")
        },
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A server subprocess on ``127.0.0.1:port``, in its own process group."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept by the process)
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            try:
                response = get(self.base, "/", NO_TOOLBAR, timeout=5)
                if response.status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def project_env(
    tmp: Path,
    store: str = "memory",
    database_url: str | None = None,
    redis_url: str | None = None,
    results_cache_size: int | None = None,
    lead_env: dict[str, str] | None = None,
    **extra: str,
) -> dict[str, str]:
    """Environment for the tests project with one of ddt's stores; migrated."""
    settings: dict[str, str] = {
        "SIGNAL_PANEL_TEST_STORE": STORES[store],
        "SIGNAL_PANEL_TEST_DB": str(tmp / "db.sqlite3"),
    }
    if database_url:
        settings["SIGNAL_PANEL_TEST_DATABASE_URL"] = database_url
    if redis_url:
        settings["SIGNAL_PANEL_TEST_CACHE"] = "redis"
        settings["SIGNAL_PANEL_TEST_REDIS_URL"] = redis_url
    if results_cache_size:
        settings["SIGNAL_PANEL_TEST_RESULTS_CACHE_SIZE"] = str(results_cache_size)
    env = base_env(lead_env, **settings, **extra)
    migrate(env)
    return env


def runserver(tmp: Path, **options: Any) -> Server:
    """``manage.py runserver --noreload``: Django's threaded WSGI server."""
    port = free_port()
    return Server(
        "runserver",
        [
            sys.executable,
            "-m",
            "django",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        project_env(tmp, **options),
        port,
        tmp / "runserver.log",
    ).start()


def uvicorn(tmp: Path, workers: int = 1, **options: Any) -> Server:
    """uvicorn serving ``tests.asgi`` (ASGI)."""
    port = free_port()
    return Server(
        "uvicorn",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.asgi:application_with_pid",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--workers",
            str(workers),
        ],
        project_env(tmp, **options),
        port,
        tmp / "uvicorn.log",
    ).start()


def gunicorn(
    tmp: Path, workers: int = 2, worker_class: str = "sync", **options: Any
) -> Server:
    """gunicorn (WSGI, pre-fork) with ``workers`` processes."""
    port = free_port()
    return Server(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "tests.asgi:wsgi_application_with_pid()",
        ],
        project_env(tmp, **options),
        port,
        tmp / "gunicorn.log",
    ).start()


@contextlib.contextmanager
def serving(factory: Callable[..., Server], **options: Any) -> Iterator[Server]:
    tmp = Path(tempfile.mkdtemp(prefix="signal-panel-"))
    server = factory(tmp, **options)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# PostgreSQL and Redis from the Debian packages, as throwaway instances.


def _pg_bin(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    assert found, f"PostgreSQL's {name} not found: apt-get install postgresql"
    return found


def _as_postgres_user() -> list[str]:
    # PostgreSQL refuses to run as root; run it as the packages' system user.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    """A throwaway PostgreSQL cluster on a loopback port, in a temp dir."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="signal-panel-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.user = "postgres"
        self.started = False

    def _run(self, *argv: str) -> None:
        result = subprocess.run(
            [*_as_postgres_user(), *argv],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.tmp,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self) -> Postgres:
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres", "postgres")
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.tmp / "postgres.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.tmp} -F -c max_connections=200",
            "start",
        )
        self.started = True
        return self

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, dbname: str) -> str:
        with self.connect() as connection:
            connection.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def backends(self, dbname: str) -> int:
        """Client connections to ``dbname``, other than this query's own."""
        with self.connect() as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [dbname],
            ).fetchone()
        return int(row[0])

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                [
                    *_as_postgres_user(),
                    _pg_bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=120,
                cwd=self.tmp,
            )
            self.started = False
        shutil.rmtree(self.tmp, ignore_errors=True)


class Redis:
    """A throwaway redis-server on a loopback port, persisting nothing."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="signal-panel-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        binary = shutil.which("redis-server")
        assert binary, "redis-server not found: apt-get install redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)

        def ping() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        poll("redis-server", ping, timeout=START_TIMEOUT)
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        shutil.rmtree(self.tmp, ignore_errors=True)


# One instance per test session, however many modules ask for it.
_shared: dict[str, Any] = {}
_shared_users: dict[str, int] = {}
_shared_lock = threading.Lock()


def _shared_instance(name: str, factory: Callable[[], Any]) -> Iterator[Any]:
    with _shared_lock:
        if name not in _shared:
            _shared[name] = factory().start()
        _shared_users[name] = _shared_users.get(name, 0) + 1
    try:
        yield _shared[name]
    finally:
        with _shared_lock:
            _shared_users[name] -= 1
            if not _shared_users[name]:
                _shared.pop(name).stop()


# Modules import these under their function names and use them by fixture
# name ("postgres", "redis_server").
@pytest.fixture(scope="session", name="postgres")
def postgres_fixture() -> Iterator[Postgres]:
    yield from _shared_instance("postgres", Postgres)


@pytest.fixture(scope="session", name="redis_server")
def redis_server_fixture() -> Iterator[Redis]:
    yield from _shared_instance("redis", Redis)
