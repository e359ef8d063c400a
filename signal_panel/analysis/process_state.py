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

import itertools
import os
import sys
import threading
import uuid
import weakref
from dataclasses import dataclass, field
from itertools import chain, compress
from operator import attrgetter, itemgetter, methodcaller
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
    # What the next state is worked out from: known_signals()'s mapping, and
    # in its order each signal's connections, entry and findings.
    signals: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)
    connections: list[tuple[Any, ...]] = field(
        default_factory=list, repr=False, compare=False
    )
    entries: list[dict[str, Any]] = field(
        default_factory=list, repr=False, compare=False
    )
    found: list[list[dict[str, Any]]] = field(
        default_factory=list, repr=False, compare=False
    )


_lock = threading.Lock()
_current: list[ProcessState] = []
# id(signal) -> ((its name, its connections), its registry entry, its findings).
_signals: dict[int, tuple[tuple[Any, ...], dict[str, Any], list[dict[str, Any]]]]
_signals = {}
# (number of loaded modules, the never-imported modules' findings).
_unimported: list[tuple[int, list[dict[str, Any]]]] = []


def fingerprint() -> str:
    """A key that changes when the loaded modules or any connection changes."""
    return _fingerprint()[0]


def _fingerprint() -> tuple[str, dict[int, Any], list[tuple[Any, ...]]]:
    """The key; the ``known_signals()`` mapping it was made from; and in its
    order, each signal's connections (its lookup keys, then the positions of
    its dead connections if it has any). Runs on every request: the loops
    are C's (map), but for the signals Django has flagged."""
    known, signal_ids, signals = _listed()
    connections = list(
        map(tuple, map(map, itertools.repeat(_lookup_key), map(_receivers_of, signals)))
    )
    try:
        flags = list(map(_flagged, signals))
    except AttributeError:  # A Signal subclass that skipped Signal.__init__.
        flags = [getattr(signal, "_dead_receivers", False) for signal in signals]
    for index in compress(range(len(signals)), flags):
        connections[index] = _with_dead(signals[index], connections[index])
    parts = (len(sys.modules), signal_ids, *connections)
    return (
        f"{os.getpid()}-{_PROCESS}-{hash(parts) & 0xFFFFFFFFFFFF:x}",
        known,
        connections,
    )


# (known_signals()'s mapping, its ids, its signals): listed again when it
# is scanned again (a new mapping).
_listing: list[tuple[dict[int, Any], tuple[int, ...], list[Signal]]] = []
_receivers_of = attrgetter("receivers")
_flagged = attrgetter("_dead_receivers")


def _listed() -> tuple[dict[int, Any], tuple[int, ...], list[Signal]]:
    known = known_signals()
    listing = _listing[0] if _listing else None
    if listing is None or listing[0] is not known:
        listing = (known, tuple(known), [signal for signal, _ in known.values()])
        _listing[:] = [listing]
    return listing


_lookup_key = itemgetter(0)
_Ref = weakref.ReferenceType
_dereference = methodcaller("__call__")


class _WeakConnections:
    """A flagged signal's weak references, for its connections ``keys``, and
    which are dead. References of our own, one per object those hold, call
    back when one dies: until then, nothing is looked at again."""

    __slots__ = ("changed", "dead", "keys", "positions", "references", "watchers")

    def __init__(self, keys: tuple[Any, ...], receivers: list[tuple[Any, ...]]):
        self.keys = keys
        # Each weakly held receiver, and sender connected for (Django 5.2 and
        # 6.x layouts), and its connection's position.
        self.references: list[Any] = []
        self.positions: list[int] = []
        for index, entry in enumerate(receivers):
            for held in (entry[1], entry[2] if len(entry) == 4 else None):
                if isinstance(held, _Ref):
                    self.references.append(held)
                    self.positions.append(index)
        # Set by a watcher's callback (no reference back to this object, so
        # it goes with the signal's next change of connections).
        self.changed = changed = [True]

        def died(_: Any) -> None:
            changed[0] = True

        # Every target is the referent of a weak reference: it takes one more.
        self.watchers = [
            weakref.ref(target, died)
            for reference in self.references
            for target in _targets(reference)
        ]
        self.dead: tuple[int, ...] = ()

    def positions_of_dead(self) -> tuple[int, ...]:
        """The positions of the dead connections (a connection's twice if
        both its receiver and its sender are), in order."""
        if self.changed[0]:
            self.changed[0] = False  # Before looking: a death meanwhile counts.
            self.dead = tuple(
                position
                for position, reference in zip(
                    self.positions, self.references, strict=True
                )
                if _dereference(reference) is None
            )
        return self.dead


def _targets(reference: Any) -> tuple[Any, ...]:
    """The live objects a weak reference's life depends on: a WeakMethod's
    object and function, another's referent (its own ``__call__`` may be
    Python's)."""
    targets = [weakref.ReferenceType.__call__(reference)]
    if isinstance(reference, weakref.WeakMethod):
        targets.append(reference._func_ref())  # type: ignore[attr-defined]
    return tuple(target for target in targets if target is not None)


# id(signal) -> its weak connections, where to look for dead ones.
_references: dict[int, _WeakConnections] = {}


def _with_dead(signal: Signal, keys: tuple[Any, ...]) -> tuple[Any, ...]:
    """A signal's connections: its lookup keys ``keys``, and the positions of
    its dead connections, if any (looked for only when Django has flagged
    that a reference it made died)."""
    known = _references.get(id(signal))
    if known is None or known.keys != keys:
        known = _references[id(signal)] = _WeakConnections(keys, signal.receivers)
    dead = known.positions_of_dead()
    return (*keys, dead) if dead else keys


def current() -> ProcessState:
    """The process's state now: worked out again only where it changed."""
    key, signals, connections = _fingerprint()
    if _current and _current[0].key == key:
        return _current[0]
    with _lock:
        if _current and _current[0].key == key:
            return _current[0]
        state = _work_out(key, signals, connections)
        _current[:] = [state]
        return state


def _work_out(
    key: str, signals: dict[int, Any], connections: list[tuple[Any, ...]]
) -> ProcessState:
    """The state named ``key``, made from the known ``signals`` and their
    ``connections`` that the key was made from (``_fingerprint``): a module
    imported meanwhile by another thread changes neither."""
    if _current and _current[0].signals is signals:
        # The usual change (a receiver connected or disconnected): only the
        # signals whose connections differ from the last state's.
        last = _current[0]
        entries, found = list(last.entries), list(last.found)
        changed = [
            index
            for index, (now, before) in enumerate(
                zip(connections, last.connections, strict=True)
            )
            if now != before
        ]
    else:
        entries, found = [{}] * len(signals), [[]] * len(signals)
        changed = list(range(len(signals)))
        for gone in _signals.keys() - signals.keys():
            del _signals[gone]
            _references.pop(gone, None)
    describer = Describer()
    items = list(signals.items())
    for index in changed:
        signal_id, (signal, name) = items[index]
        cached = _signals.get(signal_id)
        if cached is None or cached[0] != (name, connections[index]):
            entry = signal_entry(signal, name, describer)
            del entry["fired"]
            findings = signal_findings(signal, name, entry)
            cached = ((name, connections[index]), entry, findings)
            _signals[signal_id] = cached
        entries[index], found[index] = cached[1], cached[2]
    modules = len(sys.modules)
    if not _unimported or _unimported[0][0] != modules:
        _unimported[:] = [(modules, unimported_findings())]
    return ProcessState(
        key,
        _in_order(entries, signals),
        [*_unimported[0][1], *chain.from_iterable(found)],
        signals,
        connections,
        entries,
        found,
    )


# The registry's order (owners_first) as positions in known_signals(), for
# the mapping it was worked out for: it depends only on the signals' names.
_order: list[tuple[dict[int, Any], list[int]]] = []


def _in_order(
    entries: list[dict[str, Any]], known: dict[int, Any]
) -> list[dict[str, Any]]:
    """``entries`` (in the order of the ``known`` signals) as
    ``owners_first`` sorts them."""
    if not _order or _order[0][0] is not known:
        position = {id(entry): index for index, entry in enumerate(entries)}
        _order[:] = [(known, [position[id(entry)] for entry in owners_first(entries)])]
    return [entries[index] for index in _order[0][1]]
