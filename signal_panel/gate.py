"""Compile copies of Django's own ``Signal`` methods: gated and recorded.

A wrapper around ``Signal.send`` would cost every send of the project a
second call that re-packs ``**named`` (about a microsecond on a slow
machine), and a probe standing in for each receiver would cost every
recorded receiver another. Instead, this module takes the source of Django's
own methods and compiles two copies of each, with Django's file name, line
numbers and module globals:

- the **gated** copy (:func:`compile_gated`) is Django's method with the gate
  ("is a recording active in this context, or is this ``request_started``?")
  as its first statement. It replaces the method on ``Signal``: while
  nothing records, a send runs Django's code plus one context-variable read.
- the **recorded** copy (:func:`compile_recorded`) of each send method is
  what the gate calls while recording: Django's method taking ``named`` as a
  plain dict, which tells ``capture`` the receivers Django resolved and
  times each sync receiver's call in place. Async receivers are called
  through ``capture``'s async probe. Django's own code still does the
  work, so its semantics (order, errors, logging, async handling) are kept.

If a method is not Django's own (another library patched it first), its
source cannot be read, or its shape is not the expected one, nothing is
compiled and ``capture`` uses its plain wrappers and probes instead.
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from django.core.signals import request_started

from signal_panel import capture

SEND_METHODS = ("send", "send_robust", "asend", "asend_robust")

_SEND_GATE = (
    "if _sp_recordings() is not None or self is _sp_request_started:\n"
    "    return {wait}_sp_record(_sp_original, _sp_recorded, {method!r},"
    " self, sender, named)\n"
)
_GATES = {
    **{
        method: _SEND_GATE.format(
            wait="await " if method.startswith("a") else "", method=method
        )
        for method in SEND_METHODS
    },
    # Only a send through plain wrappers hands Django probes.
    "_live_receivers": (
        "_sp_dispatch = _sp_current()\n"
        "if _sp_dispatch is not None and _sp_dispatch.__class__ is _sp_Dispatch"
        " and _sp_dispatch.probe:\n"
        "    return _sp_record(self, sender)\n"
    ),
}

# Around Django's ``a, b = self._live_receivers(sender)``: the connections
# before Django resolves (it may drop dead ones), then the receivers it found.
# The copy is let go at once: it must not keep a receiver that another one
# disconnects during the send alive (_started keeps it weakly).
_RESOLVE = """
_sp_connected = self.receivers[:]
RESOLVE
if SYNC or ASYNC:
    _sp_started(_sp_d, _sp_connected, SYNC, ASYNC)
_sp_connected = None
"""
# Around Django's ``response = receiver(signal=self, sender=sender, **named)``.
_TIMED = """
_sp_call = _sp_enter(_sp_d, RECEIVER)
try:
    CALL
except BaseException as _sp_exc:
    _sp_raised(_sp_d, _sp_call, _sp_exc)
    raise
_sp_call.duration = _sp_clock() - _sp_call.start
_sp_call.result = RESPONSE
"""


def compile_gated(
    name: str, original: Any, recorded: Callable[..., Any] | None = None
) -> Callable[..., Any] | None:
    """Django's own method with our gate as its first statement, or None.

    While recording, the gate of a send method calls ``recorded`` (see
    :func:`compile_recorded`), or ``original`` through probes if it is None.
    """
    parsed = _parse(name, original)
    if parsed is None:
        return None
    tree, func = parsed
    gate = ast.parse(_GATES[name]).body
    _locate(gate, func.lineno)
    docstring = 1 if ast.get_docstring(func) is not None else 0
    func.body[docstring:docstring] = gate
    if name == "_live_receivers":
        record: Callable[..., Any] = capture._live_receivers
    elif name.startswith("a"):
        record = capture._record_async
    else:
        record = capture._record_sync
    return _compile(
        tree,
        name,
        original,
        {
            "_sp_recordings": capture._recordings.get,
            "_sp_current": capture._current.get,
            "_sp_Dispatch": capture.Dispatch,
            "_sp_request_started": request_started,
            "_sp_original": original,
            "_sp_recorded": recorded,
            "_sp_record": record,
        },
    )


def compile_recorded(name: str, original: Any) -> Callable[..., Any] | None:
    """Django's send method ``name``, recording as it dispatches, or None.

    Its signature is ``(self, sender, named, _sp_d)``: ``named`` is the
    send's keyword arguments as a dict, ``_sp_d`` the ``capture.Dispatch``
    to record into.
    """
    parsed = _parse(name, original)
    if parsed is None:
        return None
    tree, func = parsed
    func.args.kwarg = None
    func.args.args += [ast.arg("named"), ast.arg("_sp_d")]
    counts = {"resolve": 0, "timed": 0, "probed": 0}
    _instrument_statements(func, counts)
    _AsyncProbes(counts).visit(func)
    if counts["resolve"] != 1 or not counts["timed"] or not counts["probed"]:
        return None
    ast.fix_missing_locations(tree)
    return _compile(
        tree,
        name,
        original,
        {
            "_sp_started": capture._started,
            "_sp_enter": capture._enter,
            "_sp_raised": capture._raised,
            "_sp_probe": capture._async_probe,
            "_sp_clock": capture.perf_counter,
        },
    )


def _parse(name: str, original: Any) -> tuple[ast.Module, ast.FunctionDef] | None:
    """The tree of Django's own method ``name``, if it has the expected shape."""
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
    ast.increment_lineno(tree, first_line - 1)
    return tree, func  # type: ignore[return-value]


def _compile(
    tree: ast.Module, name: str, original: Any, names: dict[str, Any]
) -> Callable[..., Any] | None:
    # A copy of the module's globals: Django's own must not gain our names.
    namespace = {**original.__globals__, **names}
    try:
        exec(compile(tree, original.__code__.co_filename, "exec"), namespace)
    except Exception:
        return None
    compiled = namespace[name]
    compiled.__module__ = capture.__name__
    compiled.__qualname__ = f"Signal.{name}"
    compiled.__wrapped__ = original
    return compiled


def _locate(statements: list[ast.stmt], line: int) -> None:
    """Give inserted code the line of the statement it stands for."""
    for statement in statements:
        for node in ast.walk(statement):
            if "lineno" in node._attributes:
                node.lineno = node.end_lineno = line  # type: ignore[attr-defined]
                node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]


def _template(source: str, line: int, **holes: ast.AST) -> list[ast.stmt]:
    """Statements of ``source`` with each NAME hole (alone on its line, or
    a bare name) replaced by the given node."""

    class Fill(ast.NodeTransformer):
        def visit_Expr(self, node: ast.Expr) -> Any:
            if isinstance(node.value, ast.Name) and node.value.id in holes:
                return holes[node.value.id]
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> Any:
            if node.id in holes:
                return copy.deepcopy(holes[node.id])
            return node

    statements = ast.parse(source).body
    _locate(statements, line)
    return [Fill().visit(statement) for statement in statements]


def _is_receiver_call(node: ast.AST) -> bool:
    """Django's ``receiver(signal=self, sender=sender, **named)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and not node.args
        and [(k.arg, getattr(k.value, "id", None)) for k in node.keywords]
        == [("signal", "self"), ("sender", "sender"), (None, "named")]
    )


def _is_resolve(node: ast.stmt) -> bool:
    """Django's ``sync_receivers, async_receivers = self._live_receivers(sender)``."""
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Tuple)
        and len(node.targets[0].elts) == 2
        and all(isinstance(elt, ast.Name) for elt in node.targets[0].elts)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "_live_receivers"
    )


def _instrument_statements(func: ast.AST, counts: dict[str, int]) -> None:
    """Rewrite the resolve statement and each sync receiver call, in place."""
    for node in ast.walk(func):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            rewritten: list[ast.stmt] = []
            for statement in statements:
                rewritten.extend(_instrument(statement, counts))
            statements[:] = rewritten


def _instrument(statement: ast.stmt, counts: dict[str, int]) -> list[ast.stmt]:
    if _is_resolve(statement):
        counts["resolve"] += 1
        sync, async_ = statement.targets[0].elts  # type: ignore[attr-defined]
        return _template(
            _RESOLVE,
            statement.lineno,
            RESOLVE=statement,
            SYNC=ast.Name(sync.id, ast.Load()),
            ASYNC=ast.Name(async_.id, ast.Load()),
        )
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _is_receiver_call(statement.value)
    ):
        counts["timed"] += 1
        statement.value._sp_timed = True  # type: ignore[attr-defined]
        return _template(
            _TIMED,
            statement.lineno,
            CALL=statement,
            RECEIVER=ast.Name(statement.value.func.id, ast.Load()),  # type: ignore[attr-defined]
            RESPONSE=ast.Name(statement.targets[0].id, ast.Load()),
        )
    return [statement]


class _AsyncProbes(ast.NodeTransformer):
    """Each remaining receiver call (an async receiver's) goes through a probe:
    ``receiver(...)`` becomes ``_sp_probe(_sp_d, receiver)(...)``."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        if not _is_receiver_call(node) or getattr(node, "_sp_timed", False):
            return node
        self.counts["probed"] += 1
        receiver = node.func
        node.func = ast.Call(
            ast.Name("_sp_probe", ast.Load()),
            [ast.Name("_sp_d", ast.Load()), receiver],
            [],
        )
        ast.copy_location(node.func, receiver)
        return node
