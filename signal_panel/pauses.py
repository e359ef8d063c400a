"""Garbage-collector pauses: how long the process spent collecting, in all.

A dispatch that took long while its receivers ran fast often waited for the
collector, which Python runs whenever allocations cross a threshold, in
whichever thread allocates. ``install()`` adds a callback to
``gc.callbacks``; the hot path reads :data:`total` when a dispatch starts
and ends. Under the GIL, a collection in another thread pauses this one too.
"""

from __future__ import annotations

import gc
from time import perf_counter
from typing import Any

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
    """Count collections from now on. Idempotent."""
    if _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)
