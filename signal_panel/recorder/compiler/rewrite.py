"""Rewrite a copy of Django's send method body to report to the recorder.

The statement resolving the receivers reports them (hook ``started``); each
sync receiver's call is timed where Django makes it, written inline into a
call laid out as :class:`CallSlots` says (hooks ``clock``, ``failed``); each
``x = await receiver(...)`` too (``aenter``, ``adone``, ``afailed``); where
Django hands the async receivers' coroutines to a runner (``asyncio.gather``,
``_run_parallel``), ``parallel`` runs them timed. The inserted statements
carry the line of the statement they stand for, and Django's own statements
keep their lines and columns.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

from signal_panel.recorder.compiler.contracts import CallSlots

PREFIX = "_sp_"


# Around Django's ``a, b = self._live_receivers(sender)``: a copy of the
# connection list before Django resolves (``connect()`` and ``disconnect()``
# change it in place, a receiver may call them), then the receivers it found.
# The dispatch keeps that copy until it ends, for the receivers that did not
# run and why.
_RESOLVE = """
_sp_connected = self.receivers[:]
RESOLVE
if SYNC or ASYNC:
    _sp_started(_sp_d, _sp_connected, SYNC, ASYNC)
else:
    _sp_d.connected = _sp_connected
_sp_connected = None
"""

# Around Django's ``response = receiver(signal=self, sender=sender, **named)``:
# the receiver's call (a list laid out as CallSlots says: see
# timed_sync_template), written inline, for a function call per receiver
# would be most of the cost; it is the running one (for its SQL and the
# sends it makes) while the receiver runs.
_TIMED_SYNC = """
_sp_call = {new_call}
_sp_d.calls.append(_sp_call)
_sp_d.running = _sp_call
try:
    CALL
except BaseException as _sp_exc:
    _sp_failed(_sp_d, _sp_call, _sp_exc)
    raise
_sp_call[{stop}] = _sp_clock()
_sp_call[{result}] = RESPONSE
_sp_d.running = None
"""
# Around ``response = await receiver(...)`` or ``results[i] = await coro``:
# ``aenter`` starts the async receiver's call, ``adone`` or ``afailed`` ends it.
_TIMED_ASYNC = """
_sp_call = _sp_aenter(_sp_d, RECEIVER)
try:
    CALL
except BaseException as _sp_exc:
    _sp_afailed(_sp_d, _sp_call, _sp_exc)
    raise
_sp_adone(_sp_d, _sp_call, RESPONSE)
"""


def timed_sync_template(slots: CallSlots) -> str:
    """The statements around a sync receiver's call, with the call's slots
    in ``slots``' places: a new call ``[RECEIVER, None, _sp_clock(), ...]``,
    then ``_sp_call[stop]`` and ``_sp_call[result]`` written after it."""
    items = ["None"] * slots.size
    items[slots.receiver] = "RECEIVER"
    items[slots.start] = "_sp_clock()"
    return _TIMED_SYNC.format(
        new_call=f"[{', '.join(items)}]", stop=slots.stop, result=slots.result
    )


def instrument(body: list[ast.stmt], runners: frozenset[str], slots: CallSlots) -> bool:
    """Rewrite, in place, a copy of a send method's body to report to the
    recorder; False if it has a shape this module does not know.

    The statement resolving the receivers reports them (``started``); each
    sync receiver's call in a loop over the sync receivers is timed, and
    each ``x = await receiver(...)``; where Django hands the async
    receivers' coroutines to a runner (``asyncio.gather``, ``_run_parallel``),
    ``parallel`` times them. Any other call of a receiver is unknown.
    """
    root = ast.Module(body=body, type_ignores=[])
    lists = _instrument_resolve(root)
    if lists is None:
        return False
    sync_list, async_list = lists
    sync_template = timed_sync_template(slots)
    timed = 0
    for node in ast.walk(root):
        if isinstance(node, ast.For) and _loops_over(node, sync_list):
            receiver = node.target.id  # type: ignore[attr-defined]
            for statements in statement_lists(node):
                statements[:] = [
                    new
                    for statement in statements
                    for new in _time_sync_call(statement, receiver, sync_template)
                ]
    for statements in statement_lists(root):
        statements[:] = [
            new for statement in statements for new in _time_async_call(statement)
        ]
    runs = _Runners(async_list, runners)
    runs.visit(root)
    for node in ast.walk(root):
        if isinstance(node, ast.Call) and is_receiver_call(node):
            if getattr(node, "_sp_handled", False):
                timed += 1
            else:
                return False
    return timed > 0 and not runs.unknown


def instrument_parallel(func: ast.AST) -> bool:
    """Rewrite, in place, Django 6.1's ``_run_parallel``: the one
    ``results[i] = await coro`` of its inner ``run(i, coro)`` is timed as the
    call of ``_sp_receivers[i]``. False if it has another shape."""
    awaits: list[tuple[list[ast.stmt], ast.Assign, str]] = []
    for node in ast.walk(func):
        if isinstance(node, ast.AsyncFunctionDef) and len(node.args.args) == 2:
            index, coroutine = (arg.arg for arg in node.args.args)
            awaits.extend(
                (statements, statement, index)
                for statements in statement_lists(node)
                for statement in statements
                if isinstance(statement, ast.Assign)
                and awaits_name(statement, coroutine)
            )
    if len(awaits) != 1:
        return False
    [(statements, statement, index)] = awaits
    position = statements.index(statement)
    statements[position : position + 1] = timed(
        statement,
        ast.Subscript(
            ast.Name("_sp_receivers", ast.Load()),
            ast.Name(index, ast.Load()),
            ast.Load(),
        ),
        _TIMED_ASYNC,
    )
    return True


def _instrument_resolve(root: ast.Module) -> tuple[str, str] | None:
    """Rewrite the one statement resolving the receivers; the names of the
    sync and async receiver lists, or None."""
    found = []
    for statements in statement_lists(root):
        for index, statement in enumerate(statements):
            if _is_resolve(statement):
                found.append((statements, index, statement))
    if len(found) != 1:
        return None
    statements, index, statement = found[0]
    sync, async_ = statement.targets[0].elts  # type: ignore[attr-defined]
    statements[index : index + 1] = template(
        _RESOLVE,
        statement.lineno,
        RESOLVE=statement,
        SYNC=ast.Name(sync.id, ast.Load()),
        ASYNC=ast.Name(async_.id, ast.Load()),
    )
    return sync.id, async_.id


def _loops_over(loop: ast.For, name: str) -> bool:
    return (
        isinstance(loop.iter, ast.Name)
        and loop.iter.id == name
        and isinstance(loop.target, ast.Name)
    )


def statement_lists(root: ast.AST) -> list[list[ast.stmt]]:
    """Every list of statements in ``root`` (bodies, else and finally blocks,
    exception handlers' bodies)."""
    return [
        statements
        for node in ast.walk(root)
        for field in ("body", "orelse", "finalbody")
        if isinstance(statements := getattr(node, field, None), list)
        and all(isinstance(statement, ast.stmt) for statement in statements)
    ]


def _time_sync_call(statement: ast.stmt, receiver: str, source: str) -> list[ast.stmt]:
    """``response = receiver(...)`` timed by the template ``source``, or the
    statement as it is."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and is_receiver_call(statement.value)
        and statement.value.func.id == receiver  # type: ignore[attr-defined]
    ):
        return [statement]
    statement.value._sp_handled = True  # type: ignore[attr-defined]
    return timed(statement, ast.Name(receiver, ast.Load()), source)


def _time_async_call(statement: ast.stmt) -> list[ast.stmt]:
    """``response = await receiver(...)`` timed, or the statement as it is."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.Await)
        and is_receiver_call(statement.value.value)
    ):
        return [statement]
    call = statement.value.value
    call._sp_handled = True  # type: ignore[attr-defined]
    return timed(statement, ast.Name(call.func.id, ast.Load()), _TIMED_ASYNC)  # type: ignore[attr-defined]


def timed(statement: ast.Assign, receiver: ast.expr, source: str) -> list[ast.stmt]:
    """``statement`` (an assignment of the receiver's response), timed by
    the template ``source``."""
    response = copy.deepcopy(statement.targets[0])
    for node in ast.walk(response):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return template(
        source, statement.lineno, CALL=statement, RECEIVER=receiver, RESPONSE=response
    )


def locate(statements: list[ast.stmt], line: int) -> None:
    """Give inserted code the line of the statement it stands for."""
    for statement in statements:
        for node in ast.walk(statement):
            if "lineno" in node._attributes:
                node.lineno = node.end_lineno = line  # type: ignore[attr-defined]
                node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]


def template(source: str, line: int, **holes: Any) -> list[ast.stmt]:
    """Statements of ``source`` with each hole filled: a NAME alone on its
    line by the given statement(s), a bare NAME by the given expression."""

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
    locate(statements, line)
    filled = []
    for statement in statements:
        result = Fill().visit(statement)
        filled.extend(result if isinstance(result, list) else [result])
    return filled


def is_receiver_call(node: ast.AST) -> bool:
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


def awaits_name(statement: ast.stmt, name: str) -> bool:
    """``target = await name``."""
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.value, ast.Await)
        and isinstance(statement.value.value, ast.Name)
        and statement.value.value.id == name
    )


class _Runners(ast.NodeTransformer):
    """``runner(*(receiver(...) for receiver in async_receivers))`` becomes
    ``_sp_parallel(_sp_d, runner, async_receivers, *(...))``, for the
    runners it knows (``asyncio.gather``, ``_run_parallel``)."""

    def __init__(self, async_list: str, runners: frozenset[str]) -> None:
        self.async_list = async_list
        self.runners = runners
        self.unknown = 0

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        if not (
            len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Starred)
            and isinstance(node.args[0].value, ast.GeneratorExp)
        ):
            return node
        generator = node.args[0].value
        [loop, *others] = generator.generators
        if not (
            is_receiver_call(generator.elt)
            and not others
            and not loop.ifs
            and isinstance(loop.iter, ast.Name)
            and loop.iter.id == self.async_list
            and isinstance(loop.target, ast.Name)
            and loop.target.id == generator.elt.func.id  # type: ignore[attr-defined]
        ):
            return node
        if ast.unparse(node.func) not in self.runners:
            self.unknown += 1
            return node
        generator.elt._sp_handled = True  # type: ignore[attr-defined]
        parallel = ast.Name(PREFIX + "parallel", ast.Load())
        dispatch = ast.Name("_sp_d", ast.Load())
        node.args = [
            dispatch,
            node.func,
            ast.Name(self.async_list, ast.Load()),
            node.args[0],
        ]
        node.func = ast.copy_location(parallel, node.func)
        ast.copy_location(dispatch, node)
        return node
