"""The process's signals and their connections, and what depends on them alone.

The registry (every signal in loaded modules and its connected receivers) and
the mistakes in the process's wiring (receiver modules never imported,
functions connected twice, string senders) do not depend on the request: they
change only when a module is imported or a receiver connected, disconnected or
garbage-collected. :func:`current` hands out the same :class:`ProcessState`
until that happens, and then works out again only what changed: each signal's
entry and findings are kept with the connections they were made from, the
never-imported scan with the number of loaded modules.

:func:`fingerprint` names a state: the number of loaded modules, and each
known signal's lookup keys (Django's ``(receiver id, sender id)`` pairs) and
which of its connections are dead (a weakly held receiver or sender freed).
The key also names the process (pid and a random token), so a key from
another process never matches this one's.

Django's ``_dead_receivers`` flag alone would not do: it is set when any
weak reference the signal made dies, also one whose connection was already
disconnected (the toolbar's panels connect a bound method per request and
disconnect it, and the flag is then set when the panel is freed), so the
state would change on every request while the connections did not.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
import weakref
from dataclasses import dataclass
from itertools import repeat
from operator import is_, itemgetter, methodcaller
from typing import Any

from django.dispatch import Signal

from signal_panel.analysis.registry import owners_first, signal_entry
from signal_panel.analysis.wiring import signal_findings, unimported_findings
from signal_panel.describe import Describer
from signal_panel.sources.signal_names import known_signals

_PROCESS = uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class ProcessState:
    """What depends only on the loaded modules and the connections."""

    key: str
    # The registry, without a recording's fields (fired, runs, not_run).
    registry: list[dict[str, Any]]
    findings: list[dict[str, Any]]


_lock = threading.Lock()
_current: list[ProcessState] = []
# id(signal) -> (its connections, its registry entry, its findings).
_signals: dict[int, tuple[tuple[Any, ...], dict[str, Any], list[dict[str, Any]]]]
_signals = {}
# (number of loaded modules, the never-imported modules' findings).
_unimported: list[tuple[int, list[dict[str, Any]]]] = []


def fingerprint() -> str:
    """A key that changes when the loaded modules or any connection changes."""
    parts: list[Any] = [len(sys.modules)]
    for key, (signal, _) in known_signals().items():
        keys = tuple(map(_lookup_key, signal.receivers))
        parts.append(key)
        # _connections(), inline: this runs once per request for every signal.
        parts.append(
            _with_dead(signal, keys)
            if getattr(signal, "_dead_receivers", False)
            else keys
        )
    return f"{os.getpid()}-{_PROCESS}-{hash(tuple(parts)) & 0xFFFFFFFFFFFF:x}"


_lookup_key = itemgetter(0)
_Ref = weakref.ReferenceType
# id(signal) -> (its lookup keys, the weak references of its connections, and
# each one's connection's position): where to look for dead ones.
_references: dict[int, tuple[tuple[Any, ...], list[Any], list[int]]] = {}
_dereference = methodcaller("__call__")


def _connections(signal: Signal) -> tuple[Any, ...]:
    """The signal's lookup keys, and the positions of its dead connections
    (looked for only when Django has flagged that a reference it made died)."""
    keys = tuple(map(_lookup_key, signal.receivers))
    if not getattr(signal, "_dead_receivers", False):
        return keys
    return _with_dead(signal, keys)


def _with_dead(signal: Signal, keys: tuple[Any, ...]) -> tuple[Any, ...]:
    known = _references.get(id(signal))
    if known is None or known[0] != keys:
        known = (keys, *_weak_references(signal.receivers))
        _references[id(signal)] = known
    # In C, without comparing the user's objects to None with ==.
    held = list(map(_dereference, known[1]))
    if not any(map(is_, held, repeat(None))):
        return keys
    dead = tuple(
        index for index, obj in zip(known[2], held, strict=True) if obj is None
    )
    return (*keys, dead)


def _weak_references(receivers: list[tuple[Any, ...]]) -> tuple[list[Any], list[int]]:
    """Each weakly held receiver, and sender connected for (Django 5.2 and
    6.x layouts), and its connection's position."""
    references, positions = [], []
    for index, entry in enumerate(receivers):
        for held in (entry[1], entry[2] if len(entry) == 4 else None):
            if isinstance(held, _Ref):
                references.append(held)
                positions.append(index)
    return references, positions


def current() -> ProcessState:
    """The process's state now: worked out again only where it changed."""
    key = fingerprint()
    if _current and _current[0].key == key:
        return _current[0]
    with _lock:
        if _current and _current[0].key == key:
            return _current[0]
        state = _work_out(key)
        _current[:] = [state]
        return state


def _work_out(key: str) -> ProcessState:
    describer = Describer()
    entries, found = [], []
    signals = known_signals()
    for signal_id, (signal, name) in signals.items():
        connections = (name, *_connections(signal))
        cached = _signals.get(signal_id)
        if cached is None or cached[0] != connections:
            entry = signal_entry(signal, name, describer)
            del entry["fired"]
            cached = (connections, entry, signal_findings(signal, name, entry))
            _signals[signal_id] = cached
        entries.append(cached[1])
        found.extend(cached[2])
    for gone in _signals.keys() - signals.keys():
        del _signals[gone]
        _references.pop(gone, None)
    modules = len(sys.modules)
    if not _unimported or _unimported[0][0] != modules:
        _unimported[:] = [(modules, unimported_findings())]
    return ProcessState(key, owners_first(entries), [*_unimported[0][1], *found])
