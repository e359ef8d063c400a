"""The registry, stored once per process in the toolbar's store.

A request's document names the process state it was recorded in
(``process_state``, see :mod:`signal_panel.process_state`). The first
document this process stores carries the registry itself (``registry``).
The next ones name the request whose document carries it (``registry_in``)
and, if the connections have changed since, the signals whose entries differ
(``registry_changes``: each changed or new entry, ``null`` for a signal no
longer known). A document carries the whole registry again when the one it
would point to has left the store (the toolbar keeps its last
``RESULTS_CACHE_SIZE`` requests), or when more than :data:`MAX_CHANGES`
signals changed.

So a request with a few dispatches stores a few kilobytes, and the Registry
tab still shows the connections as they were when it ran, from any process
that reads the store, and from the History panel.
"""

from __future__ import annotations

import logging
from typing import Any

from signal_panel import process_state
from signal_panel.diagnose import receiver_statuses

logger = logging.getLogger("signal_panel")

PANEL_ID = "SignalPanel"
MAX_CHANGES = 20
# The last document this process stored with the whole registry: its
# request id and the process state it was recorded in.
_carrier: list[tuple[str, process_state.ProcessState]] = []


def registry_fields(
    process: process_state.ProcessState, store: Any, request_id: str | None
) -> dict[str, Any]:
    """The fields that give the document of ``request_id`` its registry."""
    if _carrier:
        carrier_id, carried = _carrier[0]
        if carrier_id != request_id and _stored(store, carrier_id):
            if carried.key == process.key:
                return {"registry_in": carrier_id}
            changes = _changes(carried.registry, process.registry)
            if len(changes) <= MAX_CHANGES:
                return {"registry_in": carrier_id, "registry_changes": changes}
    if request_id:
        _carrier[:] = [(request_id, process)]
    return {"registry": process.registry}


def _changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    old = {entry["signal"]: entry for entry in before}
    changes: dict[str, dict[str, Any] | None] = {
        entry["signal"]: entry
        for entry in after
        if old.pop(entry["signal"], None) != entry
    }
    changes.update(dict.fromkeys(old))
    return changes


def with_registry(document: dict[str, Any], store: Any) -> dict[str, Any]:
    """``document`` with its registry (each receiver's runs in that request,
    or why it never ran), found as the module's docstring says; as it is if
    the registry of its process state is no longer anywhere."""
    registry = registry_of(document, store)
    if registry is None:
        return document
    return {**document, "registry": receiver_statuses(registry, document)}


def registry_of(document: dict[str, Any], store: Any) -> list[Any] | None:
    registry = document.get("registry")
    if isinstance(registry, list):
        return registry
    key = document.get("process_state")
    carried = _carried(document, store)
    if carried is not None:
        return carried
    try:
        process = process_state.current()
    except Exception:
        logger.warning("signal_panel could not list the signals", exc_info=True)
        return None
    return process.registry if key == process.key else None


def _carried(document: dict[str, Any], store: Any) -> list[Any] | None:
    """The registry of the document named by ``registry_in``, with this
    document's ``registry_changes``."""
    carrier = document.get("registry_in")
    if not isinstance(carrier, str) or store is None:
        return None
    try:
        stored = store.panel(carrier, PANEL_ID)
    except Exception:
        logger.warning("signal_panel could not read the registry", exc_info=True)
        return None
    registry = stored.get("registry") if isinstance(stored, dict) else None
    if not isinstance(registry, list):
        return None
    changes = document.get("registry_changes")
    if not isinstance(changes, dict) or not changes:
        return registry
    changed = [
        changes.get(entry.get("signal"), entry)
        for entry in registry
        if isinstance(entry, dict)
    ]
    known = {entry.get("signal") for entry in registry if isinstance(entry, dict)}
    changed += [entry for name, entry in changes.items() if name not in known]
    return [entry for entry in changed if isinstance(entry, dict)]


def _stored(store: Any, request_id: str) -> bool:
    try:
        return bool(store.exists(request_id))
    except Exception:
        return False
