"""What depends only on the process's modules and connections is computed once
per state (``process_state``), and a request stores only what it did
(``stored_registry``)."""

from __future__ import annotations

import gc
import re
import sys
from collections import Counter
from typing import Any

import pytest
from debug_toolbar.toolbar import DebugToolbar
from django.dispatch import Signal
from django.utils import inspect as django_inspect

from signal_panel import panel
from signal_panel.analysis import process_state, stats, wiring
from signal_panel.toolbar import stored_registry

signal = Signal()


def receiver(sender: Any, **kwargs: Any) -> None:
    """Connected and disconnected by the tests."""


@pytest.fixture
def fresh_state():
    """Forget the state computed so far: the next current() computes it."""
    process_state._current.clear()
    process_state._signals.clear()
    process_state._unimported.clear()
    yield
    process_state._current.clear()


def test_the_key_changes_with_the_connections_and_only_then():
    before = process_state.fingerprint()
    assert process_state.fingerprint() == before
    signal.connect(receiver)
    try:
        connected = process_state.fingerprint()
    finally:
        signal.disconnect(receiver)
    assert connected != before
    assert process_state.fingerprint() == before


def test_the_key_changes_when_a_weak_receiver_dies():
    def short_lived(sender: Any, **kwargs: Any) -> None:
        pass

    signal.connect(short_lived)
    alive = process_state.fingerprint()
    del short_lived
    # With DEBUG on, Django's connect() keeps the last 512 receivers it
    # checked in a cache: empty it so that this one can die.
    django_inspect._get_func_parameters.cache_clear()
    gc.collect()
    assert process_state.fingerprint() != alive


def test_the_key_stays_when_a_disconnected_receiver_dies():
    """What ddt's panels do on every request: connect a bound method,
    disconnect it, and the panel is freed later. Django 5.2 then flags the
    signal as having dead receivers (a ``weakref.finalize`` on the panel),
    though none of its connections is dead; 6.x does not."""

    class Panel:
        def on_signal(self, sender: Any, **kwargs: Any) -> None:
            pass

    panel_of_a_request = Panel()
    signal.connect(panel_of_a_request.on_signal)
    before = process_state.fingerprint()
    signal.disconnect(panel_of_a_request.on_signal)
    assert process_state.fingerprint() != before
    disconnected = process_state.fingerprint()
    del panel_of_a_request
    gc.collect()
    assert process_state.fingerprint() == disconnected


def test_the_key_stays_when_django_flags_dead_receivers_and_none_is():
    """Django's flag alone, as 5.2 leaves it after the test above, on any
    version: only a dead connection changes the key."""
    signal.connect(receiver)
    try:
        alive = process_state.fingerprint()
        signal._dead_receivers = True
        try:
            assert process_state.fingerprint() == alive
        finally:
            signal._dead_receivers = False
    finally:
        signal.disconnect(receiver)


def test_a_flagged_signals_key_follows_each_death_of_its_receivers():
    """While Django's flag is set, the dead connections are looked for only
    after one of the objects they hold dies: each death still shows, a
    function's and a bound method's object's alike."""

    def short_lived(sender: Any, **kwargs: Any) -> None:
        pass

    class Listener:
        def on_signal(self, sender: Any, **kwargs: Any) -> None:
            pass

    listener = Listener()
    signal.connect(short_lived)
    signal.connect(listener.on_signal)
    signal._dead_receivers = True
    try:
        alive = process_state.fingerprint()
        assert process_state.fingerprint() == alive
        del short_lived
        django_inspect._get_func_parameters.cache_clear()  # See above.
        gc.collect()
        one_dead = process_state.fingerprint()
        assert one_dead != alive
        assert process_state.fingerprint() == one_dead
        del listener
        gc.collect()
        both_dead = process_state.fingerprint()
        assert both_dead not in (alive, one_dead)
        assert process_state.fingerprint() == both_dead
    finally:
        with signal.lock:  # Django's own clean-up: drops them, clears the flag.
            signal._clear_dead_receivers()


def test_each_signals_entry_is_built_once_per_connections(monkeypatch, fresh_state):
    built: Counter[str] = Counter()
    original = process_state.signal_entry

    def counting(signal: Signal, name: str, *args: Any) -> dict[str, Any]:
        built[name] += 1
        return original(signal, name, *args)

    monkeypatch.setattr(process_state, "signal_entry", counting)
    first = process_state.current()
    assert process_state.current() is first
    name = "tests.analysis.test_process_state.signal"
    assert built[name] == 1
    assert set(built.values()) == {1}
    signal.connect(receiver)
    try:
        connected = process_state.current()
    finally:
        signal.disconnect(receiver)
    # Only the signal whose connections changed is looked at again.
    assert built[name] == 2
    assert {count for other, count in built.items() if other != name} == {1}
    assert "tests.analysis.test_process_state.receiver" in [
        r["name"]
        for entry in connected.registry
        for r in entry["receivers"]
        if entry["signal"] == "tests.analysis.test_process_state.signal"
    ]


def test_a_state_worked_out_from_the_last_one_is_the_one_from_scratch(fresh_state):
    process_state.current()
    signal.connect(receiver)
    signal.connect(receiver, sender=Signal, dispatch_uid="twice")
    try:
        changed = process_state.current()
        process_state._current.clear()
        process_state._signals.clear()
        from_scratch = process_state.current()
    finally:
        signal.disconnect(receiver)
        signal.disconnect(sender=Signal, dispatch_uid="twice")
    assert changed is not from_scratch
    assert changed.key == from_scratch.key
    assert changed.registry == from_scratch.registry
    assert changed.findings == from_scratch.findings


def test_a_module_imported_by_another_thread_meanwhile_changes_nothing(
    monkeypatch, fresh_state, tmp_path
):
    """A state is worked out from the signals its key was made from, even if
    a module with a new signal is imported between the two."""
    (tmp_path / "imported_meanwhile.py").write_text(
        "from django.dispatch import Signal\n\nlate = Signal()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    keyed = process_state._fingerprint

    def then_an_import() -> Any:
        found = keyed()
        import imported_meanwhile  # noqa: F401

        return found

    monkeypatch.setattr(process_state, "_fingerprint", then_an_import)
    try:
        state = process_state.current()
    finally:
        del sys.modules["imported_meanwhile"]
    names = {entry["signal"] for entry in state.registry}
    assert "imported_meanwhile.late" not in names
    assert "tests.analysis.test_process_state.signal" in names


def test_the_never_imported_scan_runs_once_until_a_module_is_imported(
    monkeypatch, fresh_state, tmp_path
):
    scans = Counter()
    original = wiring.unimported_receiver_modules

    def counting() -> list[tuple[str, str]]:
        scans["scan"] += 1
        return original()

    monkeypatch.setattr(wiring, "unimported_receiver_modules", counting)
    for _ in range(3):
        process_state.current()
    assert scans["scan"] == 1

    (tmp_path / "newly_imported_for_scan.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import newly_imported_for_scan  # noqa: F401

    try:
        process_state.current()
        process_state.current()
    finally:
        del sys.modules["newly_imported_for_scan"]
    assert scans["scan"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_request_builds_its_document_once(client, monkeypatch):
    built: Counter[int] = Counter()
    documents: list[dict[str, Any]] = []
    original_dispatch, original_document = stats._dispatch, panel.to_stats

    def counting(record: Any, *args: Any) -> dict[str, Any]:
        built[record.id] += 1
        return original_dispatch(record, *args)

    def building(*args: Any, **kwargs: Any) -> dict[str, Any]:
        document = original_document(*args, **kwargs)
        documents.append(document)
        return document

    monkeypatch.setattr(stats, "_dispatch", counting)
    monkeypatch.setattr(panel, "to_stats", building)
    response = client.get("/articles/create/?title=Once")

    request_id = re.search(rb'data-request-id="([0-9a-f]+)"', response.content)[1]
    stored = DebugToolbar.fetch(request_id.decode(), "SignalPanel").stats
    document = stored["SignalPanel"]
    # Built once, after request_finished (with the response, only its
    # summary, for the sidebar), each dispatch once.
    assert len(documents) == 1
    assert document["summary"]["request_finished"]
    assert set(built) == {d["id"] for d in document["dispatches"]}
    assert set(built.values()) == {1}


class Store:
    """A toolbar store holding the documents of some requests."""

    def __init__(self, **documents: dict[str, Any]) -> None:
        self.documents = documents

    def exists(self, request_id: str) -> bool:
        return request_id in self.documents

    def panel(self, request_id: str, panel_id: str) -> dict[str, Any]:
        return self.documents.get(request_id, {})


def entry(name: str, *receivers: str) -> dict[str, Any]:
    return {
        "signal": name,
        "model_signal": False,
        "receivers": [{"name": r, "count": 1} for r in receivers],
    }


@pytest.mark.parametrize(
    "after",
    [
        [entry("a", "x"), entry("b", "y", "z")],  # Unchanged.
        [entry("a", "x", "w"), entry("b", "y", "z")],  # Connected.
        [entry("a"), entry("b", "z")],  # Disconnected.
        [entry("b", "z", "y")],  # A signal gone, receivers reordered.
        [entry("a", "x"), entry("b", "y", "z"), entry("c", "v")],  # New signal.
    ],
)
def test_a_later_document_rebuilds_its_registry_from_the_stored_one(after):
    before = [entry("a", "x"), entry("b", "y", "z")]
    carried = process_state.ProcessState("k1", before, [])
    later = process_state.ProcessState("k2", after, [])
    stored_registry._carrier[:] = [("first", carried)]
    store = Store(first={"process_state": "k1", "registry": before})

    fields = stored_registry.registry_fields(later, store, "second")

    assert "registry" not in fields
    document = {"process_state": "k2", "groups": [], "orphans": [], **fields}
    rebuilt = stored_registry.with_registry(document, store)["registry"]
    by_name = {e["signal"]: [r["name"] for r in e["receivers"]] for e in rebuilt}
    assert by_name == {e["signal"]: [r["name"] for r in e["receivers"]] for e in after}


def test_a_document_carries_the_registry_when_the_stored_one_is_gone():
    carried = process_state.ProcessState("k1", [entry("a", "x")], [])
    stored_registry._carrier[:] = [("evicted", carried)]

    fields = stored_registry.registry_fields(carried, Store(), "next")

    assert fields == {"registry": [entry("a", "x")]}
    assert stored_registry._carrier[0][0] == "next"


def through_a_server(path: str) -> dict[str, Any]:
    """GET ``path`` through Django's WSGI handler, as a server calls it (the
    test client connects receivers of its own around every request), and
    return the panel's stored document."""
    from wsgiref.util import setup_testing_defaults

    from django.core.handlers.wsgi import WSGIHandler

    environ: dict[str, Any] = {"PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"}
    setup_testing_defaults(environ)
    response = WSGIHandler()(environ, lambda status, headers, exc_info=None: None)
    try:
        content = b"".join(response)
    finally:
        response.close()  # request_finished: the document is stored.
    request_id = re.search(rb'data-request-id="([0-9a-f]+)"', content)[1].decode()
    return DebugToolbar.fetch(request_id, "SignalPanel").stats["SignalPanel"]


# Two of the toolbar's default panels that connect a receiver per request.
PANELS_CONNECTING = [
    "debug_toolbar.panels.staticfiles.StaticFilesPanel",
    "debug_toolbar.panels.templates.TemplatesPanel",
    "signal_panel.panel.SignalPanel",
]


@pytest.mark.django_db(transaction=True)
def test_requests_through_a_server_share_one_process_state(fresh_state, settings):
    """The toolbar's templates and static files panels connect a bound
    method on every request, disconnect it, and are freed: that leaves the
    process's connections as they were, so the next request names the same
    state and stores no registry of its own."""
    settings.DEBUG_TOOLBAR_PANELS = PANELS_CONNECTING
    stored_registry._carrier.clear()
    gc.collect()  # Receivers of earlier tests dying meanwhile would change it.
    carrier = through_a_server("/")  # The first may import modules.
    first, second = through_a_server("/"), through_a_server("/")

    assert "registry" in carrier
    assert second["process_state"] == first["process_state"]
    assert "registry" not in second
    assert "registry_changes" not in second
