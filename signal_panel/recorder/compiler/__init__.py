"""Compile copies of Django's own dispatch code with the recorder in them.

A wrapper around ``Signal.send`` costs every send of the project a second
call, and stands between the user's ``send()`` and the receivers: a receiver
that looks at its callers (``warnings.warn(stacklevel=n)``,
``sys._getframe(n)``, ``inspect.stack()``) would see the wrapper. Instead,
this package takes the source of Django's own methods (``source``: only if
it is the code Python runs) and compiles copies of them, with Django's file
name, line numbers, columns and module globals:

- :func:`compile_send`: one method whose first statement is the gate ("is a
  recording active in this context, or is this ``request_started``?").
  While nothing records, Django's own body runs. While recording, a copy of
  that body (``rewrite``) runs in the same frame, which tells the recorder
  the receivers Django resolved and times each receiver's call where Django
  makes it: no frame stands between the user's ``send()`` and a receiver.
- :func:`compile_parallel`: Django 6.1's ``_run_parallel``, timing each
  async receiver's coroutine where Django awaits it.
- :func:`compile_gated`: Django's method with a gate that calls a hook
  (``record``) while recording: the fallback when a method's body has a
  shape ``rewrite`` does not know, and the gate of ``_live_receivers`` for
  sends recorded through probes.

A pure transformer: it imports nothing from the rest of the package. The
recorder's functions reach the compiled code as ``hooks``, each as a closure
variable named ``_sp_<hook>``.
"""

from __future__ import annotations

import ast
import copy
import types
from collections.abc import Callable
from typing import Any

from signal_panel.recorder.compiler.rewrite import (
    PREFIX,
    instrument,
    instrument_parallel,
    template,
)
from signal_panel.recorder.compiler.source import FUTURE_FLAGS, FunctionNode, parse

__all__ = ["SEND_METHODS", "compile_gated", "compile_parallel", "compile_send", "parse"]

SEND_METHODS = ("send", "send_robust", "asend", "asend_robust")


# The body of a compiled send method. PLAIN and UNRECORDED are Django's own
# body; RECORDED its copy that reports to the recorder. ``_sp_r`` is let go
# of at once: a traceback the user keeps holds the frame. ``begin`` returns the
# dispatch to record into, or None (nothing records this send: it runs as
# Django's own, then ``finished`` runs the request_finished hooks).
_SEND = """
_sp_r = _sp_recordings()
if _sp_r is None and self is not _sp_request_started:
    PLAIN
else:
    _sp_d = _sp_begin(self, METHOD, sender, named, _sp_r)
    _sp_r = None
    if _sp_d is None:
        try:
            UNRECORDED
        finally:
            if self is _sp_request_finished:
                _sp_finished(self)
    else:
        try:
            RECORDED
        except BaseException as _sp_exc:
            _sp_d.error = _sp_exc
            raise
        finally:
            _sp_end(_sp_d)
            _sp_d = None
"""
_GATED = {
    **{
        method: (
            "if _sp_recordings() is not None or self is _sp_request_started:\n"
            f"    return {'await ' if method.startswith('a') else ''}"
            f"_sp_record(_sp_original, {method!r}, self, sender, named)\n"
        )
        for method in SEND_METHODS
    },
    # Only a send recorded through probes hands Django probes.
    "_live_receivers": (
        "if _sp_probing():\n    return _sp_record(_sp_original, self, sender)\n"
    ),
}


def compile_send(
    name: str,
    original: Any,
    hooks: dict[str, Any],
    module: str,
    runners: frozenset[str] = frozenset({"asyncio.gather"}),
) -> Callable[..., Any] | None:
    """Django's send method ``name``, gated, recording in its own frame; or None.

    Hooks: ``recordings`` (the gate's context-variable read),
    ``request_started``, ``begin``, ``end``, ``finished``, ``started``,
    ``clock`` and ``failed`` for sync receivers (timed inline), ``aenter``/``adone``/
    ``afailed`` for async ones awaited in Django's code, and ``parallel``,
    called as ``parallel(dispatch, runner, receivers, *coroutines)`` in place
    of ``runner(*coroutines)`` where Django hands the async receivers'
    coroutines to one of ``runners`` (e.g. ``asyncio.gather``).
    """
    func = parse(original, name)
    if func is None or _uses_prefix(original, func):
        return None
    docstring, body = _split_docstring(func)
    recorded = copy.deepcopy(body)
    if not instrument(recorded, runners):
        return None
    func.body = docstring + template(
        _SEND,
        body[0].lineno,
        PLAIN=copy.deepcopy(body),
        UNRECORDED=body,
        RECORDED=recorded,
        METHOD=ast.Constant(name),
    )
    return _compile(func, original, _prefixed(hooks), module)


def compile_parallel(
    original: Any, hooks: dict[str, Any], module: str
) -> Callable[..., Any] | None:
    """Django 6.1's ``_run_parallel(*coros)`` as
    ``_run_parallel(_sp_d, _sp_receivers, *coros)``, timing each receiver's
    coroutine where Django awaits it (hooks ``aenter``, ``adone``,
    ``afailed``); or None."""
    func = parse(original, "_run_parallel", qualname="_run_parallel")
    if func is None or _uses_prefix(original, func):
        return None
    if not instrument_parallel(func):
        return None
    func.args.args = [ast.arg("_sp_d"), ast.arg("_sp_receivers")]
    return _compile(func, original, _prefixed(hooks), module)


def compile_gated(
    name: str, original: Any, hooks: dict[str, Any], module: str
) -> Callable[..., Any] | None:
    """Django's own method with a gate as its first statement, or None.

    Hooks: ``recordings`` and ``request_started`` (the gate of a send
    method), ``probing`` (that of ``_live_receivers``), ``record`` (what the
    gate calls, with ``original``).
    """
    func = parse(original, name)
    if func is None:
        return None
    docstring, body = _split_docstring(func)
    func.body = docstring + template(_GATED[name], body[0].lineno) + body
    return _compile(func, original, _prefixed({**hooks, "original": original}), module)


def _split_docstring(func: FunctionNode) -> tuple[list[ast.stmt], list[ast.stmt]]:
    count = 1 if ast.get_docstring(func) is not None else 0
    return func.body[:count], func.body[count:]


def _prefixed(hooks: dict[str, Any]) -> dict[str, Any]:
    return {PREFIX + key: value for key, value in hooks.items()}


def _uses_prefix(original: Any, func: ast.AST) -> bool:
    """Whether Django's code itself uses a name of ours (it never does)."""
    return any(
        isinstance(node, ast.Name) and node.id.startswith(PREFIX)
        for node in ast.walk(func)
    ) or any(name.startswith(PREFIX) for name in original.__code__.co_varnames)


def _compile(
    func: FunctionNode, original: Any, names: dict[str, Any], module: str
) -> Callable[..., Any] | None:
    """Compile ``func`` to run in Django's own module globals (patches of the
    module are seen, as by Django's function), ``names`` reaching it as
    closure variables."""
    factory = ast.parse(f"def _sp_factory({', '.join(names)}):\n    pass").body[0]
    factory.body = [func, ast.Return(ast.Name(func.name, ast.Load()))]  # type: ignore[attr-defined]
    tree = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(tree)
    try:
        namespace: dict[str, Any] = {}
        code = original.__code__
        exec(
            compile(
                tree,
                code.co_filename,
                "exec",
                flags=code.co_flags & FUTURE_FLAGS,
                dont_inherit=True,
            ),
            namespace,
        )
        made = namespace["_sp_factory"](**names)
    except Exception:
        return None
    compiled = types.FunctionType(
        made.__code__, original.__globals__, func.name, None, made.__closure__
    )
    compiled.__module__ = module
    compiled.__qualname__ = original.__qualname__
    compiled.__doc__ = original.__doc__
    compiled.__wrapped__ = original  # type: ignore[attr-defined]
    return compiled
