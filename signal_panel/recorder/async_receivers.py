"""The hot path of async receivers: each one timed where Django runs it.

Django awaits some async receivers in its own code (``send_robust``'s and
``asend_robust``'s wrapper, Django 6.1's ``_run_parallel``): the compiled
copies call :func:`aenter` before and :func:`adone`/:func:`afailed` after
that ``await``. Others it hands to ``asyncio.gather``, which wraps each
coroutine in a task: :func:`parallel` makes those tasks instead, the same
way and in the same order, each with a callback that ends its call. Either
way the receiver runs under Django's own frames, and its call is the current
one of its context (the owner of its SQL and the parent of its sends).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable
from time import perf_counter
from typing import Any

from signal_panel.recorder import state
from signal_panel.recorder.dispatch import fail
from signal_panel.recorder.inflight import (
    RECEIVER,
    SIZE,
    START,
    TOKEN,
    Call,
    Dispatch,
    new_call,
    raised,
    returned,
)

_gather = asyncio.gather
# Django's own _run_parallel (6.1) -> its compiled copy that times receivers.
timed_runners: dict[Any, Callable[..., Any]] = {}


def aenter(dispatch: Dispatch | None, receiver: Any) -> Call:
    """Django is about to await an async receiver: its call, started and
    made the current one of this context."""
    call = _new_call(dispatch, receiver)
    try:  # noqa: SIM105  (not an object per call)
        call[TOKEN] = state.set_current(call)
    except Exception:
        pass
    call[START] = perf_counter()
    return call


def adone(dispatch: Dispatch | None, call: Call, result: Any) -> None:
    """The async receiver of ``call`` returned ``result``."""
    returned(call, result)
    _leave(call)


def afailed(dispatch: Dispatch | None, call: Call, exc: BaseException) -> None:
    """The async receiver of ``call`` raised ``exc`` (which goes on up)."""
    try:
        raised(call, exc)
        _leave(call)
        if dispatch is not None:
            dispatch.cyclic = True
    except Exception:
        pass


def _new_call(dispatch: Dispatch | None, receiver: Any) -> Call:
    """A new call of an async receiver, in the dispatch's calls (in none if
    the send has ended: a sibling raised, and the send went on without it).
    Never raises."""
    try:
        if dispatch is not None:
            call = new_call(receiver, dispatch.next_async, dispatch.key)
            dispatch.next_async += 1
            dispatch.calls.append(call)
            return call
    except Exception as exc:
        fail(state.active(), exc)
    # Not new_call(), which may be what failed: a call no dispatch holds.
    call = [None] * SIZE
    call[RECEIVER] = receiver
    call[START] = 0.0
    return call


def _leave(call: Call) -> None:
    token, call[TOKEN] = call[TOKEN], None
    if token is not None:
        try:  # noqa: SIM105
            state.reset_current(token)
        except Exception:
            pass  # A context of another task.


def parallel(
    dispatch: Dispatch | None, runner: Any, receivers: list[Any], *coroutines: Any
) -> Any:
    """``runner(*coroutines)``: Django's ``asyncio.gather`` or
    ``_run_parallel`` of the async receivers' coroutines, each one timed."""
    if dispatch is None:
        return runner(*coroutines)
    if runner is _gather:
        return runner(*_tasks(dispatch, receivers, coroutines))
    timed = timed_runners.get(runner)
    if timed is not None:
        return timed(dispatch, receivers, *coroutines)
    # A runner patched in by someone else: each coroutine awaited by ours.
    return runner(
        *(
            _awaited(dispatch, receiver, coroutine)
            for receiver, coroutine in zip(receivers, coroutines, strict=False)
        )
    )


def _tasks(
    dispatch: Dispatch, receivers: list[Any], coroutines: tuple[Any, ...]
) -> list[Any]:
    """What ``asyncio.gather`` makes of ``coroutines``: a task each, in the
    current context but with the receiver's call as the current one."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return list(coroutines)  # asyncio.gather raises as it would.
    tasks = []
    for receiver, coroutine in zip(receivers, coroutines, strict=False):
        if not asyncio.iscoroutine(coroutine):
            tasks.append(coroutine)
            continue
        call = _new_call(dispatch, receiver)
        with contextlib.suppress(Exception):
            loop.call_soon(_starting, call, coroutine)
        token = state.set_current(call)
        try:
            task = loop.create_task(coroutine)
        finally:
            state.reset_current(token)
        with contextlib.suppress(Exception):
            task._log_destroy_pending = False  # type: ignore[attr-defined]  # As gather does.
            task.add_done_callback(functools.partial(_task_done, call))
        tasks.append(task)
    return tasks


def _starting(call: Call, coroutine: Any) -> None:
    """Run by the loop just before the task's first step (unless an eager
    task factory ran it already). Never raises: the loop would log it."""
    with contextlib.suppress(Exception):
        if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
            call[START] = perf_counter()


def _task_done(call: Call, task: asyncio.Task[Any]) -> None:
    """A receiver's task is done. Never raises: the loop would log it."""
    with contextlib.suppress(Exception):
        if task.cancelled():
            raised(call, asyncio.CancelledError())
        elif task.exception() is not None:
            raised(call, task.exception())  # type: ignore[arg-type]
        else:
            returned(call, task.result())


async def _awaited(dispatch: Dispatch, receiver: Any, coroutine: Any) -> Any:
    call = aenter(dispatch, receiver)
    try:
        result = await coroutine
    except BaseException as exc:
        afailed(dispatch, call, exc)
        raise
    adone(dispatch, call, result)
    return result
