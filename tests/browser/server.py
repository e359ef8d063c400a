"""Serve the demo site for the browser tests: ``runserver`` in a subprocess.

The demo site (``demo/``, with ``tests.browser.site_settings``) runs on a free
loopback port with its runtime files (SQLite database, event log) in a given
directory, which :func:`prepare` migrates and seeds. Servers are stopped by
their process group id.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.browser.site_settings"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Not a delay: how long to keep polling a starting server before giving up.
START_TIMEOUT = 60.0


@dataclass
class Site:
    url: str
    shadow_dom: bool
    render_panels: bool
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environ(
    var_dir: Path,
    shadow_dom: bool = True,
    render_panels: bool = False,
    settings: str = SETTINGS,
    store: str = "",
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DEMO_VAR_DIR=str(var_dir),
        SIGNAL_PANEL_SHADOW_DOM="1" if shadow_dom else "0",
        SIGNAL_PANEL_RENDER_PANELS="1" if render_panels else "0",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        SIGNAL_PANEL_STORE=store,
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def _get(url: str, path: str) -> int:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        return connection.getresponse().status
    finally:
        connection.close()


def serve(
    var_dir: Path,
    shadow_dom: bool = True,
    render_panels: bool = False,
    settings: str = SETTINGS,
    store: str = "",
) -> Site:
    """runserver on a free port (``settings``: another settings module, such
    as the real-project fixture's ``tests.realproject.browser_settings``;
    ``store``: the toolbar's store class, if not the settings' own)."""
    env = _environ(var_dir, shadow_dom, render_panels, settings, store)
    if store.endswith("DatabaseStore"):
        # ddt's table exists only where DatabaseStore is configured.
        _manage(env, "migrate", "--no-input", "-v0")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = var_dir / f"runserver-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    site = Site(url, shadow_dom, render_panels, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"runserver exited:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if _get(url, "/") == 200:
                return site
        if time.monotonic() > deadline:
            stop(site)
            raise RuntimeError(f"runserver did not answer:\n{log.read_text()}")
        time.sleep(0.1)


def stop(site: Site) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(site.process.pid, signal.SIGTERM)
    try:
        site.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(site.process.pid, signal.SIGKILL)
        site.process.wait()


def prepare(var_dir: Path, settings: str = SETTINGS) -> None:
    """Migrate and seed the demo's database in ``var_dir``."""
    env = _environ(var_dir, settings=settings)
    _manage(env, "migrate", "--no-input", "-v0")
    _manage(env, "seed_demo")
