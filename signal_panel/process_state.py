"""The process's signals and their connections, and what depends on them alone.

The registry (every signal in loaded modules and its connected receivers) and
the findings about connections and modules (receiver modules never imported,
functions connected twice, string senders) do not depend on the request: they
change only when a module is imported or a receiver connected, disconnected or
garbage-collected. :func:`current` computes them once per such state and
hands out the same :class:`ProcessState` until the state changes.

:func:`fingerprint` detects a change cheaply, on every call: the number of
loaded modules, and each known signal's lookup keys (Django's
``(receiver id, sender id)`` pairs) and dead-receiver flag. Its key also names
the process (pid and a random token), so a key from another process never
matches this one's.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from signal_panel.findings import process_findings
from signal_panel.registry import registry
from signal_panel.scan import known_signals

_PROCESS = uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class ProcessState:
    """What depends only on the loaded modules and the connections."""

    key: str
    # registry.registry() without a recording's fields (fired, runs, not_run).
    registry: list[dict[str, Any]]
    findings: list[dict[str, Any]]


_lock = threading.Lock()
_current: list[ProcessState] = []


def fingerprint() -> str:
    """A key that changes when the loaded modules or any connection changes."""
    parts: list[Any] = [len(sys.modules)]
    for key, (signal, _) in known_signals().items():
        parts.append(key)
        parts.append(getattr(signal, "_dead_receivers", None))
        parts.extend(entry[0] for entry in signal.receivers)
    return f"{os.getpid()}-{_PROCESS}-{hash(tuple(parts)) & 0xFFFFFFFFFFFF:x}"


def current() -> ProcessState:
    """The process's state now: computed again only if it changed."""
    key = fingerprint()
    if _current and _current[0].key == key:
        return _current[0]
    with _lock:
        if _current and _current[0].key == key:
            return _current[0]
        entries = registry(set())
        state = ProcessState(key, entries, process_findings(entries))
        _current[:] = [state]
        return state
