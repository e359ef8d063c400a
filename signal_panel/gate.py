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
import types
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
_sp_d.running = None
"""


def compile_gated(
    name: str, original: Any, recorded: Callable[..., Any] | None = None
) -> Callable[..., Any] | None:
    """Django's own method with our gate as its first statement, or None.

    While recording, the gate of a send method calls ``recorded`` (see
    :func:`compile_recorded`), or ``original`` through probes if it is None.
    """
    func = _parse(name, original)
    if func is None:
        return None
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
        func,
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
    func = _parse(name, original)
    if func is None:
        return None
    func.args.kwarg = None
    func.args.args += [ast.arg("named"), ast.arg("_sp_d")]
    counts = {"resolve": 0, "timed": 0, "probed": 0, "unknown": 0}
    async_lists = _instrument_statements(func, counts)
    _AsyncProbes(counts, async_lists).visit(func)
    if (
        counts["resolve"] != 1
        or not counts["timed"]
        or not counts["probed"]
        or counts["unknown"]
    ):
        return None
    return _compile(
        func,
        original,
        {
            "_sp_started": capture._started,
            "_sp_enter": capture._enter,
            "_sp_raised": capture._raised,
            "_sp_probe": capture._async_probe,
            "_sp_clock": capture.perf_counter,
        },
    )


def _parse(name: str, original: Any) -> ast.FunctionDef | None:
    """The tree of Django's own method ``name``, if it has the expected shape.

    Its line numbers and columns are those of Django's file, so that
    tracebacks show, and underline, Django's own code.
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
        source = "".join(lines)
        # Parsed as it stands: if indented, under a header of one line.
        header = 1 if source[:1].isspace() else 0
        body = ast.parse("if 1:\n" * header + source).body
        if header:
            body = body[0].body  # type: ignore[attr-defined]
    except (OSError, TypeError, SyntaxError):
        return None
    func = body[0] if len(body) == 1 else None
    kwarg = None if name == "_live_receivers" else "named"
    if (
        not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
        or func.name != name
        or func.decorator_list
        or [arg.arg for arg in func.args.args] != ["self", "sender"]
        or func.args.posonlyargs
        or func.args.kwonlyargs
        or func.args.vararg
        or func.args.defaults
        or getattr(func.args.kwarg, "arg", None) != kwarg
    ):
        return None
    ast.increment_lineno(func, first_line - 1 - header)
    return func  # type: ignore[return-value]


def _compile(
    func: ast.FunctionDef, original: Any, names: dict[str, Any]
) -> Callable[..., Any] | None:
    """Compile ``func`` to run in Django's own module globals (patches of the
    module are seen, as by Django's method), our ``names`` reaching it as
    closure variables."""
    factory = ast.parse(f"def _sp_factory({', '.join(names)}):\n    pass").body[0]
    factory.body = [func, ast.Return(ast.Name(func.name, ast.Load()))]  # type: ignore[attr-defined]
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    try:
        namespace: dict[str, Any] = {}
        exec(compile(module, original.__code__.co_filename, "exec"), namespace)
        made = namespace["_sp_factory"](**names)
    except Exception:
        return None
    compiled = types.FunctionType(
        made.__code__, original.__globals__, func.name, None, made.__closure__
    )
    compiled.__module__ = capture.__name__
    compiled.__qualname__ = f"Signal.{func.name}"
    compiled.__doc__ = original.__doc__
    compiled.__wrapped__ = original  # type: ignore[attr-defined]
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


def _instrument_statements(
    func: ast.AST, counts: dict[str, int]
) -> tuple[str, str] | None:
    """Rewrite, in place, the statement resolving the receivers, and each
    sync receiver's call in the loops over the sync receivers it resolved.
    Return the names of the sync and async receiver lists."""
    lists = None
    for statements in _statement_lists(func):
        for index, statement in enumerate(statements):
            if _is_resolve(statement):
                counts["resolve"] += 1
                sync, async_ = statement.targets[0].elts  # type: ignore[attr-defined]
                lists = sync.id, async_.id
                statements[index : index + 1] = _template(
                    _RESOLVE,
                    statement.lineno,
                    RESOLVE=statement,
                    SYNC=ast.Name(sync.id, ast.Load()),
                    ASYNC=ast.Name(async_.id, ast.Load()),
                )
                break
    if lists is None:
        return None
    for loop in ast.walk(func):
        if (
            isinstance(loop, ast.For)
            and isinstance(loop.iter, ast.Name)
            and loop.iter.id == lists[0]
            and isinstance(loop.target, ast.Name)
        ):
            for statements in _statement_lists(loop):
                statements[:] = [
                    timed
                    for statement in statements
                    for timed in _timed(statement, loop.target.id, counts)
                ]
    return lists


def _statement_lists(root: ast.AST) -> list[list[ast.stmt]]:
    """Every list of statements in ``root`` (bodies, else and finally blocks)."""
    return [
        statements
        for node in ast.walk(root)
        for field in ("body", "orelse", "finalbody")
        if isinstance(statements := getattr(node, field, None), list)
    ]


def _timed(
    statement: ast.stmt, receiver: str, counts: dict[str, int]
) -> list[ast.stmt]:
    """``response = receiver(...)`` timed, or the statement as it is."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _is_receiver_call(statement.value)
        and statement.value.func.id == receiver  # type: ignore[attr-defined]
    ):
        return [statement]
    counts["timed"] += 1
    statement.value._sp_handled = True  # type: ignore[attr-defined]
    return _template(
        _TIMED,
        statement.lineno,
        CALL=statement,
        RECEIVER=ast.Name(receiver, ast.Load()),
        RESPONSE=ast.Name(statement.targets[0].id, ast.Load()),
    )


class _AsyncProbes(ast.NodeTransformer):
    """Each async receiver's call goes through a probe: ``receiver(...)``
    becomes ``_sp_probe(_sp_d, receiver)(...)``. A call is an async
    receiver's when it is awaited, or made for each of the async receivers
    Django resolved; any other receiver call is counted as unknown."""

    def __init__(self, counts: dict[str, int], lists: tuple[str, str] | None) -> None:
        self.counts = counts
        self.async_list = lists[1] if lists else None

    def visit_Await(self, node: ast.Await) -> Any:
        if _is_receiver_call(node.value):
            self._probe(node.value)  # type: ignore[arg-type]
        return self.generic_visit(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        [loop, *others] = node.generators
        if (
            not others
            and _is_receiver_call(node.elt)
            and isinstance(loop.iter, ast.Name)
            and loop.iter.id == self.async_list
            and isinstance(loop.target, ast.Name)
            and loop.target.id == node.elt.func.id  # type: ignore[attr-defined]
        ):
            self._probe(node.elt)  # type: ignore[arg-type]
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        if _is_receiver_call(node) and not getattr(node, "_sp_handled", False):
            self.counts["unknown"] += 1
        return node

    def _probe(self, call: ast.Call) -> None:
        if getattr(call, "_sp_handled", False):
            return
        call._sp_handled = True  # type: ignore[attr-defined]
        self.counts["probed"] += 1
        receiver = call.func
        call.func = ast.Call(
            ast.Name("_sp_probe", ast.Load()),
            [ast.Name("_sp_d", ast.Load()), receiver],
            [],
        )
        ast.copy_location(call.func, receiver)
