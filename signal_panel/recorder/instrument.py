"""Instrument ``django.dispatch.Signal`` and database cursors, once per process.

``install()`` replaces ``Signal.send``, ``send_robust``, ``asend`` and
``asend_robust`` with copies of Django's own methods compiled with the hot
path's functions in them (``compiler``; the hooks come from ``dispatch`` and
``async_receivers``). A method that cannot be compiled falls back to a gated
copy recording through probes, or to a plain wrapper (``probes``); so do all
with ``SIGNAL_PANEL["INSTRUMENTATION"] = "wrappers"``. ``instrumentation()``
says which is in use. It also meters SQL (``queries``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.core.signals import request_finished, request_started
from django.dispatch import Signal, dispatcher

from signal_panel.conf import get_config
from signal_panel.recorder import (
    async_receivers,
    compiler,
    dispatch,
    gc_pauses,
    inflight,
    probes,
    queries,
    state,
    threads,
)
from signal_panel.sources import trees

# Django's own methods, as install() found them.
_original: dict[str, Callable[..., Any]] = {}
_install_lock = threading.Lock()
# What each function install() may put on Signal is: "compiled" (Django's
# method with the recorder compiled in), "gated" (Django's method with a gate
# that records through probes) or "wrapper" (a plain wrapper).
_kinds: dict[Callable[..., Any], str] = {}
LIVE_RECEIVERS = compiler.LIVE_RECEIVERS
# Where the compiled copies write a sync receiver's call: inflight's layout.
CALL_SLOTS = compiler.CallSlots(
    size=inflight.SIZE,
    receiver=inflight.RECEIVER,
    start=inflight.START,
    stop=inflight.STOP,
    result=inflight.RESULT,
)


def install(mode: str | None = None) -> None:
    """Instrument ``Signal`` for this process. Idempotent and thread-safe.

    ``mode`` defaults to the ``INSTRUMENTATION`` setting: ``"auto"`` compiles
    what can be compiled, ``"wrappers"`` never compiles.
    """
    if mode is None:
        mode = get_config().instrumentation
    with _install_lock, trees.LOCK:
        if not _original:
            for name in (*compiler.SEND_METHODS, LIVE_RECEIVERS):
                _original[name] = Signal.__dict__[name]
            chosen = "wrappers" if mode == "wrappers" else "compiled"
            for name, method in methods(chosen).items():
                setattr(Signal, name, method)
    queries.install()
    gc_pauses.install()
    threads.install()


def is_installed() -> bool:
    return bool(_original)


def original(name: str) -> Callable[..., Any]:
    """Django's own ``Signal`` method ``name``, as install() found it."""
    return _original[name]


def methods(mode: str) -> dict[str, Callable[..., Any]]:
    """What ``Signal``'s methods become, per mode (see :func:`_methods`)."""
    with trees.LOCK:
        return _methods(mode)


@functools.cache
def _methods(mode: str) -> dict[str, Callable[..., Any]]:
    """What ``Signal``'s methods become, per mode (after install()):
    ``"compiled"`` (each send method compiled with the recorder in it where
    possible, else gated, else wrapped), ``"mixed"`` (each gated, recording
    through probes) or ``"wrappers"``."""
    runners = {"asyncio.gather"}
    run_parallel = getattr(dispatcher, "_run_parallel", None)
    if mode == "compiled" and run_parallel is not None:
        timed = compiler.compile_parallel(run_parallel, _hooks(), __name__)
        if timed is not None:
            async_receivers.timed_runners[run_parallel] = timed
            runners.add("_run_parallel")
    found: dict[str, Callable[..., Any]] = {}
    for name in compiler.SEND_METHODS:
        method = _compiled(name, frozenset(runners)) if mode == "compiled" else None
        if method is None and mode != "wrappers":
            method = _gated(name)
        found[name] = method or _wrapper(name)
    if any(_kinds[method] != "compiled" for method in found.values()):
        hooks = compiler.ProbingHooks(
            probing=probes.probing, record=probes.probe_receivers
        )
        live = _original[LIVE_RECEIVERS]
        gated = None
        if mode != "wrappers":
            gated = compiler.compile_probing(live, hooks, __name__)
        found[LIVE_RECEIVERS] = gated or probes.live_receivers_wrapper(live)
    return found


def _hooks() -> compiler.SendHooks:
    """The hot path's functions, for the compiled copies."""
    return compiler.SendHooks(
        recordings=state.recordings,
        request_started=request_started,
        request_finished=request_finished,
        begin=dispatch.begin,
        end=dispatch.end,
        finished=dispatch.finished,
        started=dispatch.started,
        clock=perf_counter,
        failed=dispatch.failed,
        aenter=async_receivers.aenter,
        adone=async_receivers.adone,
        afailed=async_receivers.afailed,
        parallel=async_receivers.parallel,
    )


def _compiled(name: str, runners: frozenset[str]) -> Callable[..., Any] | None:
    method = compiler.compile_send(
        name, _original[name], _hooks(), CALL_SLOTS, __name__, runners
    )
    return _kind(method, "compiled")


def _gated(name: str) -> Callable[..., Any] | None:
    hooks = compiler.GateHooks(
        recordings=state.recordings,
        request_started=request_started,
        record=probes.record_async if name.startswith("a") else probes.record_sync,
    )
    method = compiler.compile_gated(name, _original[name], hooks, __name__)
    return _kind(method, "gated")


def _wrapper(name: str) -> Callable[..., Any]:
    method = probes.wrapper(name, _original[name])
    _kinds[method] = "wrapper"
    return method


def _kind(method: Callable[..., Any] | None, kind: str) -> Callable[..., Any] | None:
    if method is not None:
        _kinds[method] = kind
    return method


def instrumentation() -> str:
    """How ``Signal`` is instrumented now: ``"compiled"`` (copies of Django's
    methods with the recorder compiled in), ``"wrappers"`` (Django's methods
    wrapped, receivers probed), ``"mixed"`` (some or all methods gated,
    recording through probes), or ``"none"``."""
    kinds = {_kinds.get(Signal.__dict__.get(name)) for name in compiler.SEND_METHODS}
    if kinds == {"compiled"}:
        return "compiled"
    if kinds == {"wrapper"}:
        return "wrappers"
    if None in kinds:
        return "none"
    return "mixed"
