"""The demo site (``demo/``), served for real and driven page by page.

The demo has its own settings (``demo.settings``), so it runs in subprocesses:
a module fixture migrates and seeds a throwaway SQLite database with the
demo's own ``manage.py``, then serves the site with ``runserver`` (threaded
WSGI) and with uvicorn (ASGI). Each test uses a page the way a browser would
(cookies, CSRF tokens) and reads the panel's recording of that request back
the way the toolbar does: the request id from ``data-request-id`` on
``#djDebug``, the panel's content from ddt's ``render_panel`` view. The content
embeds the stats document (``docs/stats-format.md``); the assertions read it.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "demo" / "manage.py"
PANEL_ID = "SignalPanel"

REQUEST_STARTED = "django.core.signals.request_started"
REQUEST_FINISHED = "django.core.signals.request_finished"
PRE_INIT = "django.db.models.signals.pre_init"
POST_INIT = "django.db.models.signals.post_init"
PRE_SAVE = "django.db.models.signals.pre_save"
POST_SAVE = "django.db.models.signals.post_save"
PRE_DELETE = "django.db.models.signals.pre_delete"
POST_DELETE = "django.db.models.signals.post_delete"
M2M_CHANGED = "django.db.models.signals.m2m_changed"
USER_LOGGED_IN = "django.contrib.auth.signals.user_logged_in"
USER_LOGIN_FAILED = "django.contrib.auth.signals.user_login_failed"
LOGIN_SUCCEEDED = "demo.accounts.signals.login_succeeded"
EVENT_LOGGED = "demo.events.signals.event_logged"
REPORT_REQUESTED = "demo.events.signals.report_requested"
PRICE_CHECKED = "demo.events.signals.price_checked"

# Not asserted on: how long to wait before failing with a useful message.
START_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0


# Servers.


@dataclass
class DemoSite:
    """A migrated and seeded demo database, and the environment to serve it."""

    var_dir: Path
    env: dict[str, str]

    @property
    def event_log(self) -> Path:
        return self.var_dir / "events.log"


def demo_env(var_dir: Path) -> dict[str, str]:
    # Not the test run's settings (pytest-django exports tests.settings), and
    # nothing that tells ddt it runs under tests.
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE" and not key.startswith("PYTEST_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="demo.settings",
        DEMO_VAR_DIR=str(var_dir),
        DEMO_DB=str(var_dir / "demo.sqlite3"),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(site: DemoSite, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"manage.py {args}: {result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    var_dir = tmp_path_factory.mktemp("demo-var")
    site = DemoSite(var_dir, demo_env(var_dir))
    manage(site, "migrate", "--noinput")
    out = manage(site, "seed_demo")
    assert "Demo login: demo / demo-password" in out
    assert "Catalog: 5000 products" in out
    # The installed package's tables, from its own migration.
    assert "[X] 0001_initial" in manage(site, "showmigrations", "pagesearch")
    return site


@contextlib.contextmanager
def serve(site: DemoSite, command: list[str], name: str) -> Iterator[str]:
    """Run ``command`` (which serves on ``{port}``); yield its base URL."""
    port = free_port()
    log_path = site.var_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=ROOT,
            env=site.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited: {log_path.read_text()}")
            try:
                with opener().open(base + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start: {log_path.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def wsgi_server(demo_site: DemoSite) -> Iterator[str]:
    command = [sys.executable, str(MANAGE), "runserver", "--noreload"]
    with serve(demo_site, [*command, "127.0.0.1:{port}"], "runserver") as base:
        yield base


@pytest.fixture(scope="module")
def asgi_server(demo_site: DemoSite) -> Iterator[str]:
    command = [sys.executable, "-m", "uvicorn", "demo.asgi:application"]
    options = ["--lifespan", "off", "--host", "127.0.0.1", "--port", "{port}"]
    with serve(demo_site, [*command, *options], "uvicorn") as base:
        yield base


# A browser: cookies, CSRF, and the toolbar's way of reading a panel.


def opener(jar: CookieJar | None = None) -> urllib.request.OpenerDirector:
    # No proxies from the environment: the servers are on the loopback.
    handlers: list[Any] = [urllib.request.ProxyHandler({})]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


@dataclass
class Page:
    url: str
    status: int
    headers: dict[str, str]
    text: str

    @property
    def request_id(self) -> str:
        match = re.search(
            r'<div id="djDebug"[^>]*data-request-id="([0-9a-f]+)"', self.text
        )
        assert match, f"no toolbar on {self.url} ({self.status}): {self.text[:300]!r}"
        return match.group(1)

    def server_timing(self, name: str) -> float:
        """The ``dur`` of one ``Server-Timing`` entry."""
        for entry in self.headers.get("server-timing", "").split(","):
            parts = [part.strip() for part in entry.split(";")]
            if parts[0] == name:
                for part in parts[1:]:
                    if part.startswith("dur="):
                        return float(part[4:])
        raise AssertionError(f"no Server-Timing {name}: {self.headers}")


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = opener(self.jar)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # 4xx/5xx: still a page
            response = error
        with response:
            body = response.read().decode("utf-8", "replace")
            headers = {key.lower(): value for key, value in response.headers.items()}
            return Page(response.geturl(), response.status, headers, body)

    def get(self, path: str, **params: Any) -> Page:
        query = f"?{urlencode(params)}" if params else ""
        return self._open(urllib.request.Request(self.base + path + query))

    def post(self, path: str, data: dict[str, Any]) -> Page:
        """Submit a form as the browser would, with the CSRF cookie's token."""
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def panel_content(self, page: Page) -> str:
        """What the toolbar shows when the Signals panel is opened."""
        params = urlencode({"request_id": page.request_id, "panel_id": PANEL_ID})
        url = f"{self.base}/__debug__/render_panel/?{params}"
        with opener().open(url, timeout=60) as response:
            return json.load(response)["content"]

    def recording(self, page: Page) -> Recording:
        """The panel's recording of ``page``, once it includes request_finished.

        request_finished is sent after the response was closed, and saved
        then: keep asking (as a user reopening the panel would).
        """
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            recording = Recording.from_content(self.panel_content(page))
            if recording.summary.get("request_finished"):
                return recording
            if time.monotonic() > deadline:
                raise AssertionError(f"request_finished never saved: {recording}")
            time.sleep(0.05)


STATS_SCRIPT = re.compile(
    r'<script id="' + PANEL_ID + r'-stats" type="application/json">(.*?)</script>',
    re.DOTALL,
)


@dataclass
class Recording:
    """The stats document embedded in the panel's rendered content."""

    content: str
    stats: dict[str, Any]

    @classmethod
    def from_content(cls, content: str) -> Recording:
        match = STATS_SCRIPT.search(content)
        assert match, f"no stats document in the panel: {content[:500]!r}"
        return cls(content, json.loads(match.group(1)))

    @property
    def summary(self) -> dict[str, Any]:
        return self.stats["summary"]

    @property
    def signals(self) -> list[str]:
        """Dotted paths of the detailed dispatches, in the order they were sent."""
        return [d["signal"] for d in self.stats["dispatches"]]

    def dispatches(self, signal: str, sender: str | None = None) -> list[dict]:
        found = [
            d
            for d in self.stats["dispatches"]
            if d["signal"] == signal and (sender is None or d["sender"] == sender)
        ]
        assert found, f"no {signal} from {sender or 'any sender'}: {self.signals}"
        return found

    def dispatch(self, signal: str, sender: str | None = None) -> dict[str, Any]:
        found = self.dispatches(signal, sender)
        assert len(found) == 1, f"{len(found)} dispatches of {signal} ({sender})"
        return found[0]

    def group(self, signal: str, sender: str) -> dict[str, Any]:
        [group] = [
            g
            for g in self.stats["groups"]
            if g["signal"] == signal and g["sender"] == sender
        ]
        return group

    def orphan_signals(self) -> set[tuple[str, str]]:
        return {(o["signal"], o["sender"]) for o in self.stats["orphans"]}

    def __str__(self) -> str:
        return f"<Recording {self.signals}>"


def receiver(dispatch: dict[str, Any], name: str) -> dict[str, Any]:
    """The run of receiver ``name`` in ``dispatch``."""
    runs = [r for r in dispatch["receivers"] if r["name"] == name]
    names = [r["name"] for r in dispatch["receivers"]]
    assert len(runs) == 1, (
        f"{name} ran {len(runs)} times in {dispatch['signal']}: {names}"
    )
    return runs[0]


def receiver_names(dispatch: dict[str, Any]) -> list[str]:
    return [r["name"] for r in dispatch["receivers"]]


def kwarg(dispatch: dict[str, Any], name: str) -> str:
    values = [value for key, value in dispatch["kwargs"] if key == name]
    assert values, f"no {name!r} among {dispatch['kwargs']}"
    return values[0]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def log_in(browser: Browser, next_url: str = "") -> Page:
    browser.get("/accounts/login/")
    data = {"username": "demo", "password": "demo-password"}
    if next_url:
        data["next"] = next_url
    page = browser.post("/accounts/login/", data)
    assert page.status == 200, page.text[:500]
    return page


def select_options(text: str, name: str) -> dict[str, str]:
    """``{label: value}`` of the ``<select name=…>`` in a page."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', text, re.DOTALL)
    assert match, f"no <select name={name}>"
    return {
        html.unescape(label): value
        for value, label in re.findall(
            r'<option value="([^"]+)"[^>]*>([^<]*)</option>', match.group(1)
        )
    }


# The home page and its links.


def test_home_page_links_every_scenario_and_shows_the_demo_login(wsgi_server):
    browser = Browser(wsgi_server)
    home = browser.get("/")
    assert home.status == 200
    assert "<code>demo</code>" in home.text
    assert "<code>demo-password</code>" in home.text
    # The toolbar is injected, with this panel instead of ddt's SignalsPanel.
    assert f'id="djdt-{PANEL_ID}"' in home.text
    assert 'id="djdt-SignalsPanel"' not in home.text
    # Both views over more than one request: the tab and the pytest option.
    assert "<strong>Across requests</strong> tab" in home.text
    assert "<code>pytest --signals-profile</code>" in home.text

    pages = re.search(r'<ol class="pages">(.*?)</ol>', home.text, re.DOTALL)
    assert pages
    items = re.findall(
        r'<a href="([^"]+)">([^<]+)</a>\s*<span class="hint">Look for: ([^<]+)</span>',
        pages.group(1),
    )
    links = {href: title for href, title, _ in items}
    assert len(items) == 13
    assert all(hint.strip() for _, _, hint in items)
    assert set(links) == {
        "/accounts/alerts/",
        "/accounts/profiles/",
        "/staff/shifts/",
        "/events/log/",
        "/accounts/login/",
        "/events/robust/",
        "/events/plain-send/",
        "/shop/orders/",
        "/accounts/forgot-password/",
        "/events/price-check/",
        "/shop/catalog/",
        "/mistakes/",
        "/lifecycle/",
    }
    for href in links:
        page = browser.get(href)
        expected = 500 if href == "/events/plain-send/" else 200
        assert page.status == expected, f"{href}: {page.status}"
        assert page.request_id, href
        assert "</body>" in page.text


# One test per page.


def test_alerts_post_save_receiver_connected_in_ready(wsgi_server):
    browser = Browser(wsgi_server)
    anonymous = browser.get("/accounts/alerts/")
    assert "/accounts/login/?next=/accounts/alerts/" in anonymous.url

    log_in(browser, next_url="/accounts/alerts/")
    message = unique("Disk almost full")
    page = browser.post("/accounts/alerts/", {"message": message, "level": "critical"})
    assert page.status == 200
    assert message in page.text

    recording = browser.recording(page)
    saved = recording.dispatch(POST_SAVE, "accounts.Alert")
    assert receiver_names(saved) == ["demo.accounts.receivers.log_new_alert"]
    assert receiver(saved, "demo.accounts.receivers.log_new_alert")["result"] == (
        "'logged'"
    )
    assert kwarg(saved, "created") == "True"


def test_profiles_nested_saves_two_signal_receiver_and_cache_invalidation(
    wsgi_server,
):
    browser = Browser(wsgi_server)
    username = unique("newbie")
    before = browser.get("/accounts/profiles/")  # caches the member directory
    assert username not in before.text

    created = browser.post(
        "/accounts/profiles/",
        {"action": "create", "username": username, "first_name": "Newbie"},
    )
    assert created.status == 200
    # The directory fragment was cached; only the receiver's invalidation
    # lets the new member appear in it.
    assert f"<td>{username}</td>" in created.text

    recording = browser.recording(created)
    user_saved = recording.dispatch(POST_SAVE, "auth.User")
    assert "demo.accounts.receivers.create_profile" in receiver_names(user_saved)
    profile_saved = recording.dispatch(POST_SAVE, "accounts.Profile")
    assert profile_saved["parent"] == user_saved["id"]  # nested inside
    assert receiver_names(profile_saved) == [
        "demo.accounts.receivers.log_profile_change",
        "demo.accounts.receivers.invalidate_member_directory",
    ]

    user_id = re.search(
        rf'<td>{username}</td>.*?name="user_id" value="(\d+)"', created.text, re.DOTALL
    )
    assert user_id
    deleted = browser.post(
        "/accounts/profiles/", {"action": "delete", "user_id": user_id.group(1)}
    )
    assert deleted.status == 200
    assert f"<td>{username}</td>" not in deleted.text
    recording = browser.recording(deleted)
    profile_deleted = recording.dispatch(POST_DELETE, "accounts.Profile")
    # The same receiver, connected to post_delete too.
    assert receiver_names(profile_deleted) == [
        "demo.accounts.receivers.log_profile_change",
        "demo.accounts.receivers.invalidate_member_directory",
    ]


def test_staff_hire_runs_queries_and_m2m_changed(wsgi_server):
    browser = Browser(wsgi_server)
    browser.get("/staff/shifts/")
    name = unique("Barbara")
    page = browser.post("/staff/shifts/", {"name": name, "role": "Cook"})
    assert page.status == 200
    assert f"Hired {name}" in page.text
    assert f"{name} <small>(Cook)</small>" in page.text

    recording = browser.recording(page)
    pre = recording.dispatch(PRE_SAVE, "staff.Employee")
    cleared = receiver(pre, "demo.staff.receivers.clear_expired_shifts")
    # The seed left one shift in the past; this first hire deleted it.
    assert cleared["result"] == "1"

    post = recording.dispatch(POST_SAVE, "staff.Employee")
    assigned = receiver(post, "demo.staff.receivers.assign_to_shift")
    assert name in assigned["result"]
    own_queries = sum(q["count"] for q in assigned["queries"])
    assert own_queries >= 3, assigned["queries"]
    assert assigned["duration_ms"] > 0

    changes = recording.dispatches(M2M_CHANGED, "staff.Assignment")
    assert [kwarg(d, "action") for d in changes] == ["'pre_add'", "'post_add'"]
    assert all(d["parent"] == post["id"] for d in changes)
    assert receiver_names(changes[1]) == ["demo.staff.receivers.log_staffing_change"]


def test_event_log_custom_signal_with_a_string_sender(wsgi_server, demo_site):
    browser = Browser(wsgi_server)
    browser.get("/events/log/")
    message = unique("pallet received")
    page = browser.post("/events/log/", {"source": "warehouse", "message": message})
    assert page.status == 200
    assert f"[warehouse] {message}" in page.text

    recording = browser.recording(page)
    sent = recording.dispatch(EVENT_LOGGED)
    assert sent["sender"] == "'warehouse'"
    assert sent["method"] == "send"
    assert kwarg(sent, "message") == repr(message)
    assert receiver_names(sent) == ["demo.events.receivers.append_to_event_log"]
    assert f"[warehouse] {message}\n" in demo_site.event_log.read_text()


def test_login_signals_and_masked_credentials(wsgi_server):
    browser = Browser(wsgi_server)
    browser.get("/accounts/login/")
    username = unique("nobody")
    password = unique("wrong-horse-battery")
    failed = browser.post(
        "/accounts/login/", {"username": username, "password": password}
    )
    assert failed.status == 200
    assert "Failed attempts for this username in the last 15 minutes: 1" in failed.text

    recording = browser.recording(failed)
    attempt = recording.dispatch(USER_LOGIN_FAILED)
    # Django already replaced the password; the panel masks it by its key,
    # and shows the username the attempt was for.
    assert kwarg(attempt, "credentials") == (
        f"{{'username': '{username}', 'password': ********}}"
    )
    assert kwarg(attempt, "request").startswith("<WSGIRequest: POST")
    assert password not in recording.content
    assert username in recording.content
    counted = receiver(attempt, "demo.accounts.receivers.count_failed_login")
    assert counted["result"] == "1"

    page = browser.post(
        "/accounts/login/", {"username": "demo", "password": "demo-password"}
    )
    assert page.status == 200
    assert "Signed in as <strong>demo</strong>" in page.text

    recording = browser.recording(page)
    logged_in = recording.dispatch(USER_LOGGED_IN)
    assert "django.contrib.auth.models.update_last_login" in receiver_names(logged_in)
    succeeded = recording.dispatch(LOGIN_SUCCEEDED, "auth.User")
    assert [key for key, _ in succeeded["kwargs"]] == ["user", "at"]
    assert kwarg(succeeded, "at").startswith("datetime.datetime(")
    assert receiver_names(succeeded) == ["demo.accounts.receivers.record_login"]
    profile_saved = recording.dispatch(POST_SAVE, "accounts.Profile")
    assert profile_saved["parent"] == succeeded["id"]
    assert recording.signals.index(USER_LOGGED_IN) < recording.signals.index(
        LOGIN_SUCCEEDED
    )


def test_send_robust_catches_the_receivers_error(wsgi_server):
    browser = Browser(wsgi_server)
    page = browser.get("/events/robust/")
    assert page.status == 200
    assert "<strong>raised</strong> chat.example.invalid is unreachable" in page.text
    assert "returned daily-report of" in page.text

    recording = browser.recording(page)
    sent = recording.dispatch(REPORT_REQUESTED)
    assert sent["method"] == "send_robust"
    assert "error" not in sent
    failed = receiver(sent, "demo.events.receivers.post_report_to_chat")
    assert failed["error"]["type"] == "builtins.ConnectionError"
    assert "chat.example.invalid is unreachable" in failed["error"]["message"]
    archived = receiver(sent, "demo.events.receivers.archive_report")
    assert "error" not in archived
    assert "archived" in archived["result"]
    assert recording.summary["errors"] >= 1


def test_plain_send_propagates_to_a_500_and_is_recorded(wsgi_server):
    browser = Browser(wsgi_server)
    page = browser.get("/events/plain-send/")
    assert page.status == 500
    assert "ConnectionError" in page.text  # Django's technical 500 page

    recording = browser.recording(page)
    sent = recording.dispatch(REPORT_REQUESTED)
    assert sent["method"] == "send"
    assert sent["error"]["type"] == "builtins.ConnectionError"
    failed = receiver(sent, "demo.events.receivers.post_report_to_chat")
    assert failed["error"]["type"] == "builtins.ConnectionError"
    # The raise stopped the send: the second receiver never ran.
    assert receiver_names(sent) == ["demo.events.receivers.post_report_to_chat"]
    assert [r["name"] for r in sent["not_called"]] == [
        "demo.events.receivers.archive_report"
    ]
    assert recording.signals[-1] == REQUEST_FINISHED


def test_orders_model_signals_cascade_and_runtime_receiver(wsgi_server):
    browser = Browser(wsgi_server)
    listing = browser.get("/shop/orders/")
    recording = browser.recording(listing)
    loaded = recording.dispatches(POST_INIT, "shop.Order")
    assert receiver_names(loaded[0]) == ["demo.shop.receivers.remember_status"]
    assert (PRE_INIT, "shop.Order") in recording.orphan_signals()
    customers = select_options(listing.text, "customer")
    assert "Ada Lovelace" in customers

    def place(item: str, quantity: int, price: str, customer: str) -> Page:
        page = browser.post(
            "/shop/orders/",
            {
                "action": "place",
                "customer": customer,
                "item": item,
                "quantity": quantity,
                "unit_price": price,
            },
        )
        assert page.status == 200
        return page

    # Place: pre_save computes the total, post_save notifies.
    placed = place("Slide rule", 3, "2.50", customers["Ada Lovelace"])
    assert "total 7.50" in placed.text
    recording = browser.recording(placed)
    assert receiver_names(recording.dispatch(PRE_SAVE, "shop.Order")) == [
        "demo.shop.receivers.price_order",
        "demo.shop.receivers.stamp_shipping",
    ]
    assert receiver_names(recording.dispatch(POST_SAVE, "shop.Order")) == [
        "demo.shop.receivers.notify_customer"
    ]
    order_id = re.search(r"Placed order #(\d+)", placed.text).group(1)

    # Ship: post_init remembered the status, pre_save sees it change.
    shipped = browser.post("/shop/orders/", {"action": "ship", "order_id": order_id})
    assert f"Order #{order_id} shipped." in shipped.text
    recording = browser.recording(shipped)
    stamp = receiver(
        recording.dispatch(PRE_SAVE, "shop.Order"),
        "demo.shop.receivers.stamp_shipping",
    )
    assert stamp["result"] == "True"

    # Delete: pre_delete has no receiver (counted), post_delete has one.
    deleted = browser.post(
        "/shop/orders/", {"action": "delete_order", "order_id": order_id}
    )
    assert "Order deleted." in deleted.text
    recording = browser.recording(deleted)
    assert receiver_names(recording.dispatch(POST_DELETE, "shop.Order")) == [
        "demo.shop.receivers.log_order_removal"
    ]
    assert (PRE_DELETE, "shop.Order") in recording.orphan_signals()

    # Audit mode: a receiver connected with connect(), removed with disconnect().
    audit = "demo.shop.audit.record_audit_entry"
    on = browser.post("/shop/orders/", {"action": "audit", "enabled": "on"})
    try:
        assert "Audit mode is <strong>on</strong>" in on.text
        audited = place("Abacus", 1, "12.00", customers["Alan Turing"])
        recording = browser.recording(audited)
        saved = recording.dispatch(POST_SAVE, "shop.Order")
        assert receiver_names(saved) == ["demo.shop.receivers.notify_customer", audit]
        assert (POST_SAVE, "shop.AuditEntry") in recording.orphan_signals()
        assert "(Abacus) created" in audited.text
    finally:
        off = browser.post("/shop/orders/", {"action": "audit", "enabled": "off"})
    assert "Audit mode is <strong>off</strong>" in off.text
    unaudited = place("Compass", 1, "5.00", customers["Alan Turing"])
    recording = browser.recording(unaudited)
    assert receiver_names(recording.dispatch(POST_SAVE, "shop.Order")) == [
        "demo.shop.receivers.notify_customer"
    ]

    # Deleting a customer cascades: one post_delete per order.
    browser.post(
        "/shop/orders/",
        {"action": "add_customer", "name": "Hedy Lamarr", "email": "hedy@x.invalid"},
    )
    customers = select_options(browser.get("/shop/orders/").text, "customer")
    hedy = customers["Hedy Lamarr"]
    place("Radio", 1, "30.00", hedy)
    place("Piano roll", 2, "8.00", hedy)
    gone = browser.post(
        "/shop/orders/", {"action": "delete_customer", "customer_id": hedy}
    )
    assert "Deleted Hedy Lamarr and 2 order(s) with them." in gone.text
    recording = browser.recording(gone)
    removal = recording.dispatch(PRE_DELETE, "shop.Customer")
    assert receiver_names(removal) == ["demo.shop.receivers.log_customer_removal"]
    assert recording.group(POST_DELETE, "shop.Order")["count"] == 2
    order_deletes = recording.dispatches(POST_DELETE, "shop.Order")
    assert all(d["start_ms"] > removal["start_ms"] for d in order_deletes)


def test_forgot_password_shows_the_worker_threads_send(wsgi_server):
    browser = Browser(wsgi_server)
    browser.get("/accounts/forgot-password/")
    page = browser.post("/accounts/forgot-password/", {"login": "demo"})
    assert page.status == 200
    assert "If an account matches, a code is on its way." in page.text
    assert "Your password reset code" in page.text
    assert "demo@example.com" in page.text

    recording = browser.recording(page)
    saved = recording.dispatch(POST_SAVE, "accounts.PasswordResetRequest")
    sent = receiver(saved, "demo.accounts.receivers.send_reset_code")
    # The mail server's simulated latency (50 ms) is the receiver's own time.
    assert sent["duration_ms"] >= 50
    assert page.server_timing("SignalPanel_receivers") >= 50
    # The worker thread notes the mail: its post_save, sent in that thread,
    # nests under the receiver that started it, tagged with the thread's name.
    noted = recording.dispatch(POST_SAVE, "accounts.SentMail")
    assert noted["thread"] == "send-reset-code"
    assert noted["parent"] == saved["id"]
    assert noted["parent_receiver"] == "demo.accounts.receivers.send_reset_code"
    assert receiver_names(noted) == ["demo.accounts.receivers.log_sent_mail"]
    assert sent["start_ms"] <= noted["start_ms"]
    assert noted["start_ms"] <= sent["start_ms"] + sent["duration_ms"]
    assert "thread" not in saved
    assert recording.summary["threads_at_end"] == 0
    assert recording.summary["after_end"] == 0
    assert "in thread send-reset-code" in recording.content


def test_async_view_awaits_asend_with_sync_and_async_receivers(wsgi_server):
    browser = Browser(wsgi_server)
    page = browser.get("/events/price-check/", sku="SKU-00007")
    assert page.status == 200
    assert "fetch_supplier_price" in page.text

    recording = browser.recording(page)
    sent = recording.dispatch(PRICE_CHECKED)
    assert sent["method"] == "asend"
    assert kwarg(sent, "sku") == "'SKU-00007'"
    runs = {r["name"]: r for r in sent["receivers"]}
    assert set(runs) == {
        "demo.events.receivers.count_price_check",
        "demo.events.receivers.fetch_supplier_price",
    }
    assert runs["demo.events.receivers.fetch_supplier_price"]["is_async"] is True
    assert "is_async" not in runs["demo.events.receivers.count_price_check"]
    assert runs["demo.events.receivers.fetch_supplier_price"]["duration_ms"] >= 20
    assert runs["demo.events.receivers.fetch_supplier_price"]["result"].startswith(
        "Decimal("
    )


def test_heavy_list_groups_and_caps_5000_post_init(wsgi_server):
    browser = Browser(wsgi_server)
    page = browser.get("/shop/catalog/")
    assert page.status == 200
    assert len(re.findall(r"<tr><td>SKU-\d{5}</td>", page.text)) == 5000

    recording = browser.recording(page)
    group = recording.group(POST_INIT, "shop.Product")
    assert group["count"] == 5000
    assert [r["name"] for r in group["receivers"]] == [
        "demo.shop.receivers.remember_price"
    ]
    detailed = recording.dispatches(POST_INIT, "shop.Product")
    assert len(detailed) == group["detailed"] <= 11
    assert recording.summary["dropped"] >= 5000 - 11
    assert recording.summary["dispatches"] >= 5000


def test_request_lifecycle_receivers_at_both_ends(wsgi_server):
    browser = Browser(wsgi_server)
    page = browser.get("/lifecycle/")
    assert page.status == 200

    recording = browser.recording(page)
    assert recording.signals[0] == REQUEST_STARTED
    assert recording.signals[-1] == REQUEST_FINISHED
    started = recording.dispatch(REQUEST_STARTED)
    finished = recording.dispatch(REQUEST_FINISHED)
    assert (
        started["sender"]
        == finished["sender"]
        == ("django.core.handlers.wsgi.WSGIHandler")
    )
    counted = receiver(started, "demo.core.metrics.count_request")
    flushed = receiver(finished, "demo.core.metrics.flush_metrics")
    assert counted["duration_ms"] >= 3
    assert flushed["duration_ms"] >= 3
    assert finished["start_ms"] > started["start_ms"] + started["duration_ms"]


# The classic mistakes, on their page only.

MISTAKES_PAGE = "/mistakes/"
UNIMPORTED = "Receiver module never imported: demo.mistakes.receivers"


def findings(recording: Recording) -> list[tuple[str, str, str | None]]:
    return [(f["kind"], f["title"], f["receiver"]) for f in recording.stats["findings"]]


def test_the_mistakes_page_commits_six_mistakes_and_the_panel_reports_them(
    wsgi_server,
):
    browser = Browser(wsgi_server)
    page = browser.get(MISTAKES_PAGE)
    assert page.status == 200
    recording = browser.recording(page)
    assert findings(recording) == [
        ("unimported", UNIMPORTED, None),
        (
            "connected_twice",
            "Connected twice: demo.mistakes.listeners.thank_reporter",
            "demo.mistakes.listeners.thank_reporter",
        ),
        (
            "string_sender",
            "String sender on a plain Signal: demo.mistakes.escalation.page_on_call",
            "demo.mistakes.escalation.page_on_call",
        ),
        (
            "dead_weak",
            "A weak receiver of demo.mistakes.signals.ticket_assigned died",
            None,
        ),
        (
            "reentrant_save",
            "Re-entrant save: demo.mistakes.tracking.fill_slug",
            "demo.mistakes.tracking.fill_slug",
        ),
        (
            "sql_per_row",
            "SQL per row in a receiver: demo.mistakes.tracking.count_duplicates",
            "demo.mistakes.tracking.count_duplicates",
        ),
    ]
    # What the mistakes did: thank_reporter ran twice, page_on_call never.
    closed = recording.dispatch("demo.mistakes.signals.ticket_closed")
    assert receiver_names(closed) == [
        "demo.mistakes.listeners.thank_reporter",
        "mistakes.listeners.thank_reporter",
    ]
    escalated = [
        o
        for o in recording.stats["orphans"]
        if o["signal"] == "demo.mistakes.signals.ticket_escalated"
    ]
    assert [r["name"] for r in escalated[0]["receivers"]] == [
        "demo.mistakes.escalation.page_on_call"
    ]
    assert ("demo.mistakes.signals.ticket_opened", "mistakes.Ticket") in (
        recording.orphan_signals()
    )
    # The findings are in the panel, at its top.
    assert recording.content.index("djdt-sp-findings") < recording.content.index(
        "djdt-sp-summary"
    )


def test_clearing_the_queue_adds_the_installed_packages_sql_per_row(wsgi_server):
    """The mistakes page's "Clear the queue" deletes every ticket: pagesearch
    1.4.2, installed, indexes them and runs a query per deleted one. Its
    finding says whose code it is and comes after all the project's."""
    browser = Browser(wsgi_server)
    browser.get(MISTAKES_PAGE)  # the CSRF cookie, and one more ticket
    page = browser.post(MISTAKES_PAGE, {"action": "clear"})
    assert page.status == 200
    deleted = int(re.search(r"Cleared the queue: deleted (\d+) tickets", page.text)[1])
    assert deleted >= 13  # the 12 samples and the ticket the GET opened
    recording = browser.recording(page)
    owners = [
        (f["kind"], f["receiver"], f["owner"]) for f in recording.stats["findings"]
    ]
    # The project's own first (or unknown: a dead weak receiver has no name).
    installed = [each for each in owners if (each[2] or {}).get("kind") == "package"]
    project = [each for each in owners if each not in installed]
    assert owners == project + installed
    assert (
        "sql_per_row",
        "demo.mistakes.tracking.count_duplicates",
        {"kind": "project", "distribution": None, "version": None},
    ) in project
    assert installed == [
        (
            "sql_per_row",
            "pagesearch.index.remove_from_index",
            {"kind": "package", "distribution": "pagesearch", "version": "1.4.2"},
        )
    ]
    [finding] = [
        f
        for f in recording.stats["findings"]
        if f["receiver"] == "pagesearch.index.remove_from_index"
    ]
    assert f"ran {deleted} times on {POST_DELETE}" in finding["detail"]
    assert finding["fix"].startswith("pagesearch 1.4.2's receiver, not your code.")
    # The panel: the project's findings, then the package's collapsed.
    own = recording.content.index('<ul class="djdt-sp-findings-own">')
    group = recording.content.index('<details class="djdt-sp-findings-installed">')
    assert own < group
    assert "1 finding in installed packages: pagesearch 1.4.2" in recording.content


def test_the_other_pages_report_only_the_projects_unimported_module(wsgi_server):
    """The mistakes page undoes its process-wide mistakes (connected twice, a
    string sender) when its response is closed: after it, the other pages
    report only what is the project's (the module nothing imports)."""
    browser = Browser(wsgi_server)
    browser.recording(browser.get(MISTAKES_PAGE))
    home = browser.get("/")
    pages = re.findall(r'<a href="(/[^"]*)">[^<]+</a>\s*<span class="hint">', home.text)
    others = [href for href in pages if href != MISTAKES_PAGE]
    assert len(others) == 12
    for href in ["/", *others]:
        recording = browser.recording(browser.get(href))
        assert findings(recording) == [("unimported", UNIMPORTED, None)], href


# The same site under ASGI (``bash demo/run.sh --asgi``).


def test_asgi_request_signals_are_sent_with_asend(asgi_server):
    browser = Browser(asgi_server)
    page = browser.get("/lifecycle/")
    assert page.status == 200

    recording = browser.recording(page)
    started = recording.dispatch(REQUEST_STARTED)
    finished = recording.dispatch(REQUEST_FINISHED)
    assert started["method"] == "asend"
    # request_finished comes from response.close(), run with sync_to_async.
    assert finished["method"] == "send"
    assert (
        started["sender"]
        == finished["sender"]
        == ("django.core.handlers.asgi.ASGIHandler")
    )
    assert "demo.core.metrics.count_request" in receiver_names(started)
    assert "demo.core.metrics.flush_metrics" in receiver_names(finished)


def test_asgi_async_view_and_static_files(asgi_server):
    browser = Browser(asgi_server)
    page = browser.get("/events/price-check/", sku="SKU-00099")
    assert page.status == 200
    recording = browser.recording(page)
    sent = recording.dispatch(PRICE_CHECKED)
    assert sent["method"] == "asend"
    assert len(sent["receivers"]) == 2

    # uvicorn serves no static files itself: the demo's asgi.py does, so the
    # toolbar's script and the site's stylesheet load.
    assert browser.get("/static/debug_toolbar/js/toolbar.js").status == 200
    assert browser.get("/static/demo/site.css").status == 200


def test_run_sh_usage():
    script = ROOT / "demo" / "run.sh"
    shown = subprocess.run(["bash", str(script), "--help"], capture_output=True)
    assert shown.returncode == 0
    assert b"bash demo/run.sh --asgi" in shown.stdout
    refused = subprocess.run(["bash", str(script), "--bogus"], capture_output=True)
    assert refused.returncode == 2
    assert b"usage: bash demo/run.sh [--asgi]" in refused.stderr


def test_run_sh_names_the_process_holding_the_port_before_doing_anything():
    script = ROOT / "demo" / "run.sh"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            ["bash", str(script)],
            env={**os.environ, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"PID {os.getpid()}:" in result.stderr  # this test's process
    assert result.stdout == ""  # nothing installed, migrated, seeded or served


FAKE_TOOL = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$FAKE_VENV_LOG"
"""


def fake_checkout(root: Path) -> Path:
    """The two scripts, their shared helper and pyproject.toml in ``root``,
    with a .venv whose tools only log how they were called: what the scripts
    decide to run, without installing or serving anything."""
    for name in ("tests/run.sh", "tests/venv.sh", "demo/run.sh", "pyproject.toml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((ROOT / name).read_bytes())
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "ruff", "mypy"):
        (bin_dir / tool).write_text(FAKE_TOOL)
        (bin_dir / tool).chmod(0o755)
    return root / "calls.log"


def test_run_scripts_install_once_for_both(tmp_path):
    """tests/run.sh then demo/run.sh (or the other way round) install the
    project once, and again only when pyproject.toml changes."""
    log = fake_checkout(tmp_path)
    env = {**os.environ, "FAKE_VENV_LOG": str(log), "PORT": str(free_port())}

    def run(script: str) -> None:
        result = subprocess.run(
            ["bash", script], cwd=tmp_path, env=env, capture_output=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def installs() -> int:
        return log.read_text().count("-m pip install --quiet --editable .[test]")

    run("tests/run.sh")
    assert installs() == 1
    run("demo/run.sh")
    assert installs() == 1
    calls = log.read_text()
    assert "python demo/manage.py migrate --noinput" in calls
    assert "python demo/manage.py runserver" in calls
    with (tmp_path / "pyproject.toml").open("a") as pyproject:
        pyproject.write("# a dependency changed\n")
    run("demo/run.sh")
    assert installs() == 2
    run("tests/run.sh")
    assert installs() == 2
