"""Garbage-collector pauses: how long the process spent collecting, in all.

A dispatch that took long while its receivers ran fast often waited for the
collector, which Python runs whenever allocations cross a threshold, in
whichever thread allocates. ``install()`` adds a callback to
``gc.callbacks``; the hot path reads :data:`total` when a dispatch starts
and ends. Under the GIL, a collection in another thread pauses this one too.

Not on Python 3.11: a collector callback runs Python code in the middle of
``ast.parse``, where another thread can then run, and 3.11's AST
constructor fails when two threads build trees at once ("AST constructor
recursion depth mismatch", CPython gh-106905). The recorder must not make
that more likely in the user's threads: there, pauses are not measured.
"""

from __future__ import annotations

import gc
import sys
from time import perf_counter
from typing import Any

# Whether collections are timed on this Python.
MEASURED = sys.version_info[:2] != (3, 11)
# Seconds spent in collections since install().
total = 0.0
_started = 0.0


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    global total, _started
    if phase == "start":
        _started = perf_counter()
    elif _started:
        total += perf_counter() - _started
        _started = 0.0


def install() -> None:
    """Count collections from now on (where :data:`MEASURED`). Idempotent."""
    if MEASURED and _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)
