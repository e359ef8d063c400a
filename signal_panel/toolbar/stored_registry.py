"""The registry, stored once per process in the toolbar's store.

A request's document names the process state it was recorded in
(``process_state``, see :mod:`signal_panel.analysis.process_state`). The first
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

from signal_panel.analysis import process_state
from signal_panel.analysis.diagnose import receiver_statuses

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
    """Per signal whose entry differs: the entry, each of its receivers
    given as its position in ``before``'s entry where it is the same there;
    None for a signal no longer known."""
    old = {entry["signal"]: entry for entry in before}
    changes: dict[str, dict[str, Any] | None] = {}
    for entry in after:
        previous = old.pop(entry["signal"], None)
        # Unchanged signals' entries are the same objects (process_state
        # keeps them): no comparison of their contents.
        if previous is entry or previous == entry:
            continue
        earlier = previous["receivers"] if previous else []
        changes[entry["signal"]] = {
            **entry,
            "receivers": [
                earlier.index(r) if r in earlier else r for r in entry["receivers"]
            ],
        }
    changes.update(dict.fromkeys(old))
    return changes


def _changed(entry: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any]:
    """The entry ``change`` (see :func:`_changes`) makes of ``entry``."""
    earlier = entry.get("receivers") if entry else None
    earlier = earlier if isinstance(earlier, list) else []
    receivers = change.get("receivers")
    return {
        **change,
        "receivers": [
            earlier[r] if isinstance(r, int) and 0 <= r < len(earlier) else r
            for r in (receivers if isinstance(receivers, list) else ())
            if isinstance(r, dict) or (isinstance(r, int) and 0 <= r < len(earlier))
        ],
    }


def with_registry(document: dict[str, Any], store: Any) -> dict[str, Any]:
    """``document`` with its registry (each receiver's runs in that request,
    or why it never ran), found as the module's docstring says.

    If neither the document nor the one it names has it any more, the
    process's registry of now stands in, marked ``registry_now``: the
    connections may have changed since the request ran.
    """
    registry = document.get("registry")
    now = False
    if not isinstance(registry, list):
        registry = _carried(document, store)
    if registry is None and "process_state" in document:
        try:
            process = process_state.current()
        except Exception:
            logger.warning("signal_panel could not list the signals", exc_info=True)
            return document
        registry, now = process.registry, process.key != document["process_state"]
    if registry is None:
        return document
    stated = receiver_statuses(registry, document)
    return {**document, "registry": stated, "registry_now": now}


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
    changed = []
    known = set()
    for entry in registry:
        if not isinstance(entry, dict):
            continue
        name = entry.get("signal")
        known.add(name)
        if name not in changes:
            changed.append(entry)
        elif isinstance(changes[name], dict):
            changed.append(_changed(entry, changes[name]))
    changed += [
        _changed(None, change)
        for name, change in changes.items()
        if name not in known and isinstance(change, dict)
    ]
    return changed


def _stored(store: Any, request_id: str) -> bool:
    try:
        return bool(store.exists(request_id))
    except Exception:
        return False
