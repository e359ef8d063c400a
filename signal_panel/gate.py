"""Compile the recorder's gate into copies of Django's own ``Signal`` methods.

A wrapper around ``Signal.send`` would cost every send of the project a
second call that re-packs ``**named`` (about a microsecond on a slow
machine). Instead, :func:`compile_gated` takes the source of Django's own
method, inserts the gate ("is a recording active in this context, or is this
``request_started``?") as its first statement, and compiles it with Django's
file name, line numbers and module globals. While nothing records, a send
runs Django's code plus one context-variable read; when the gate opens, the
send goes to ``capture``'s recording path, which calls Django's original.

If the method is not Django's own (another library patched it first), its
source cannot be read, or its shape is not the expected one, nothing is
compiled and ``capture`` installs its plain wrappers instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from django.core.signals import request_started

from signal_panel import capture

_SEND_GATE = (
    "if _sp_recordings() is not None or self is _sp_request_started:\n"
    "    return {wait}_sp_record(_sp_original, {method!r}, self, sender, named)\n"
)
_GATES = {
    "send": _SEND_GATE.format(wait="", method="send"),
    "send_robust": _SEND_GATE.format(wait="", method="send_robust"),
    "asend": _SEND_GATE.format(wait="await ", method="asend"),
    "asend_robust": _SEND_GATE.format(wait="await ", method="asend_robust"),
    "_live_receivers": (
        "if _sp_current() is not None:\n    return _sp_record(self, sender)\n"
    ),
}


def compile_gated(name: str, original: Any) -> Callable[..., Any] | None:
    """Django's own method with our gate as its first statement, or None.

    A wrapper costs every send of the process a second call that re-packs
    ``**named`` (about a microsecond on a slow machine). So the gate is
    compiled into a copy of Django's own source instead: while nothing
    records, a send runs Django's code plus one context-variable read. The
    copy keeps Django's file name, line numbers (tracebacks show Django's
    lines) and module globals. None, and the plain wrapper is used, when the
    method is not Django's own (patched by someone else first), its source
    cannot be read, or it does not have the shape the gate expects.
    """
    code = getattr(original, "__code__", None)
    if (
        code is None
        or code.co_freevars
        or getattr(original, "__module__", None) != "django.dispatch.dispatcher"
        or getattr(original, "__qualname__", None) != f"Signal.{name}"
    ):
        return None
    try:
        lines, first_line = inspect.getsourcelines(original)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return None
    func = tree.body[0] if len(tree.body) == 1 else None
    kwarg = None if name == "_live_receivers" else "named"
    if (
        not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
        or func.name != name
        or func.decorator_list
        or [arg.arg for arg in func.args.args] != ["self", "sender"]
        or getattr(func.args.kwarg, "arg", None) != kwarg
    ):
        return None
    gate = ast.parse(_GATES[name]).body
    for node in gate:
        for child in ast.walk(node):
            if "lineno" in child._attributes:
                child.lineno = child.end_lineno = func.lineno  # type: ignore[attr-defined]
    docstring = 1 if ast.get_docstring(func) is not None else 0
    func.body[docstring:docstring] = gate
    ast.increment_lineno(tree, first_line - 1)
    if name == "_live_receivers":
        record: Callable[..., Any] = capture._live_receivers
    elif name.startswith("a"):
        record = capture._record_async
    else:
        record = capture._record_sync
    namespace = {
        # A copy: the module's own globals must not gain our names.
        **original.__globals__,
        "_sp_recordings": capture._recordings.get,
        "_sp_current": capture._current.get,
        "_sp_request_started": request_started,
        "_sp_original": original,
        "_sp_record": record,
    }
    try:
        exec(compile(tree, code.co_filename, "exec"), namespace)
    except Exception:
        return None
    gated = namespace[name]
    gated.__module__ = capture.__name__
    gated.__qualname__ = f"Signal.{name}"
    gated.__wrapped__ = original
    return gated
