"""Compile copies of Django's own dispatch code with the recorder in them.

A wrapper around ``Signal.send`` costs every send of the project a second
call, and stands between the user's ``send()`` and the receivers: a receiver
that looks at its callers (``warnings.warn(stacklevel=n)``,
``sys._getframe(n)``, ``inspect.stack()``) would see the wrapper. Instead,
this module takes the source of Django's own methods and compiles copies of
them, with Django's file name, line numbers, columns and module globals:

- :func:`compile_send`: one method whose first statement is the gate ("is a
  recording active in this context, or is this ``request_started``?").
  While nothing records, Django's own body runs. While recording, a copy of
  that body runs in the same frame, which tells the recorder the receivers
  Django resolved and times each receiver's call where Django makes it: no
  frame stands between the user's ``send()`` call and the receivers.
- :func:`compile_parallel`: Django 6.1's ``_run_parallel``, timing each
  async receiver's coroutine where Django awaits it.
- :func:`compile_gated`: Django's method with a gate that calls a hook
  (``record``) while recording: the fallback when a method's body has a
  shape this module does not know, and the gate of ``_live_receivers`` for
  sends recorded through probes.

Nothing is compiled for a method that is not Django's own (another library
patched it first), whose source cannot be read, or whose source on disk is
not the code Python is running (Django upgraded or edited in place after
import): :func:`parse` compiles the unmodified file and compares the
method's code with the loaded one first.

This module only transforms code; it imports nothing from the package. The
recorder's functions reach the compiled code as ``hooks``, each as a closure
variable named ``_sp_<hook>``.
"""

from __future__ import annotations
import __future__

import ast
import copy
import linecache
import types
from collections.abc import Callable
from typing import Any

SEND_METHODS = ("send", "send_robust", "asend", "asend_robust")
PREFIX = "_sp_"
DJANGO_MODULE = "django.dispatch.dispatcher"

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

# The body of a compiled send method. PLAIN and UNRECORDED are Django's own
# body; RECORDED its copy that reports to the recorder. ``begin`` returns the
# dispatch to record into, or None (nothing records this send: it runs as
# Django's own, then ``finished`` runs the request_finished hooks).
_SEND = """
if _sp_recordings() is None and self is not _sp_request_started:
    PLAIN
else:
    _sp_d = _sp_begin(self, METHOD, sender, named)
    if _sp_d is None:
        try:
            UNRECORDED
        finally:
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
# Around Django's ``a, b = self._live_receivers(sender)``: the connections
# before Django resolves (it may drop dead ones), then the receivers it found.
# The copy is let go at once: it must not keep a receiver that another one
# disconnects during the send alive (``started`` keeps it weakly).
_RESOLVE = """
_sp_connected = self.receivers[:]
RESOLVE
if SYNC or ASYNC:
    _sp_started(_sp_d, _sp_connected, SYNC, ASYNC)
_sp_connected = None
"""
# Around Django's ``response = receiver(signal=self, sender=sender, **named)``
# (sync) and ``response = await receiver(...)`` or ``results[i] = await coro``
# (async): ``enter`` starts the receiver's call, ``done`` or ``failed`` ends it.
_TIMED = """
_sp_call = ENTER(_sp_d, RECEIVER)
try:
    CALL
except BaseException as _sp_exc:
    FAILED(_sp_d, _sp_call, _sp_exc)
    raise
DONE(_sp_d, _sp_call, RESPONSE)
"""
SYNC_HOOKS = {"ENTER": "enter", "DONE": "done", "FAILED": "failed"}
ASYNC_HOOKS = {"ENTER": "aenter", "DONE": "adone", "FAILED": "afailed"}


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
    ``enter``/``done``/``failed`` for sync receivers, ``aenter``/``adone``/
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
    if not _instrument(recorded, runners):
        return None
    func.body = docstring + _template(
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
    awaits = []
    for node in ast.walk(func):
        if isinstance(node, ast.AsyncFunctionDef) and len(node.args.args) == 2:
            index, coroutine = (arg.arg for arg in node.args.args)
            awaits.extend(
                (statements, statement, index)
                for statements in _statement_lists(node)
                for statement in statements
                if _awaits_name(statement, coroutine)
            )
    if len(awaits) != 1:
        return None
    [(statements, statement, index)] = awaits
    position = statements.index(statement)
    statements[position : position + 1] = _timed(
        statement,  # type: ignore[arg-type]
        ast.Subscript(
            ast.Name("_sp_receivers", ast.Load()),
            ast.Name(index, ast.Load()),
            ast.Load(),
        ),
        ASYNC_HOOKS,
    )
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
    func.body = docstring + _template(_GATED[name], body[0].lineno) + body
    return _compile(func, original, _prefixed({**hooks, "original": original}), module)


def parse(original: Any, name: str, qualname: str | None = None) -> FunctionNode | None:
    """The tree of Django's own function ``name``, if the source on disk is
    the code Python runs, and its signature is the expected one.

    The whole file is parsed and compiled as it stands, and the function's
    code compared with the loaded one (bytecode, names, constants, line
    numbers and columns): if Django's file was changed after import, no copy
    is made. The tree keeps the file's line numbers and columns, so that
    tracebacks show, and underline, Django's own code.
    """
    code = getattr(original, "__code__", None)
    if (
        code is None
        or code.co_freevars
        or getattr(original, "__module__", None) != DJANGO_MODULE
        or getattr(original, "__qualname__", None) != (qualname or f"Signal.{name}")
    ):
        return None
    filename = code.co_filename
    try:
        linecache.checkcache(filename)
        source = "".join(linecache.getlines(filename, original.__globals__))
        tree = ast.parse(source, filename)
        compiled = compile(
            tree,
            filename,
            "exec",
            flags=code.co_flags & _FUTURE_FLAGS,
            dont_inherit=True,
        )
    except (SyntaxError, ValueError, TypeError):
        return None
    func = _find_node(tree, code)
    if func is None or not same_code(_find_code(compiled, code), code):
        return None
    kwarg = None if name in ("_live_receivers", "_run_parallel") else "named"
    args = func.args
    if (
        func.name != name
        or func.decorator_list
        or [arg.arg for arg in args.args] != ([] if qualname else ["self", "sender"])
        or args.posonlyargs
        or args.kwonlyargs
        or args.defaults
        or (args.vararg is not None) != (name == "_run_parallel")
        or getattr(args.kwarg, "arg", None) != kwarg
    ):
        return None
    return copy.deepcopy(func)


def same_code(found: types.CodeType | None, loaded: types.CodeType) -> bool:
    """Whether two code objects are the same code, nested functions included."""
    if found is None:
        return False
    fields = (
        "co_argcount",
        "co_posonlyargcount",
        "co_kwonlyargcount",
        "co_nlocals",
        "co_flags",
        "co_code",
        "co_names",
        "co_varnames",
        "co_freevars",
        "co_cellvars",
        "co_name",
        "co_firstlineno",
        "co_qualname",  # Python 3.11+
        "co_exceptiontable",  # Python 3.11+
    )
    if any(
        getattr(found, field, None) != getattr(loaded, field, None) for field in fields
    ):
        return False
    if list(found.co_lines()) != list(loaded.co_lines()):
        return False
    positions = getattr(found, "co_positions", None)  # Python 3.11+
    if positions is not None and list(positions()) != list(loaded.co_positions()):
        return False
    if len(found.co_consts) != len(loaded.co_consts):
        return False
    for mine, theirs in zip(found.co_consts, loaded.co_consts, strict=True):
        if isinstance(mine, types.CodeType) and isinstance(theirs, types.CodeType):
            if not same_code(mine, theirs):
                return False
        elif type(mine) is not type(theirs) or mine != theirs:
            return False
    return True


def _find_node(tree: ast.AST, code: types.CodeType) -> FunctionNode | None:
    """The function defined at ``code``'s first line, with its name."""
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name == code.co_name
            and node.lineno == code.co_firstlineno
        ):
            return node
    return None


def _find_code(compiled: types.CodeType, code: types.CodeType) -> types.CodeType | None:
    for const in compiled.co_consts:
        if isinstance(const, types.CodeType):
            if (
                const.co_name == code.co_name
                and const.co_firstlineno == code.co_firstlineno
            ):
                return const
            found = _find_code(const, code)
            if found is not None:
                return found
    return None


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
                flags=code.co_flags & _FUTURE_FLAGS,
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


def _locate(statements: list[ast.stmt], line: int) -> None:
    """Give inserted code the line of the statement it stands for."""
    for statement in statements:
        for node in ast.walk(statement):
            if "lineno" in node._attributes:
                node.lineno = node.end_lineno = line  # type: ignore[attr-defined]
                node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]


def _template(source: str, line: int, **holes: Any) -> list[ast.stmt]:
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
    _locate(statements, line)
    filled = []
    for statement in statements:
        result = Fill().visit(statement)
        filled.extend(result if isinstance(result, list) else [result])
    return filled


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


def _awaits_name(statement: ast.stmt, name: str) -> bool:
    """``target = await name``."""
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.value, ast.Await)
        and isinstance(statement.value.value, ast.Name)
        and statement.value.value.id == name
    )


def _instrument(body: list[ast.stmt], runners: frozenset[str]) -> bool:
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
    timed = 0
    for node in ast.walk(root):
        if isinstance(node, ast.For) and _loops_over(node, sync_list):
            receiver = node.target.id  # type: ignore[attr-defined]
            for statements in _statement_lists(node):
                statements[:] = [
                    new
                    for statement in statements
                    for new in _time_sync_call(statement, receiver)
                ]
    for statements in _statement_lists(root):
        statements[:] = [
            new for statement in statements for new in _time_async_call(statement)
        ]
    runs = _Runners(async_list, runners)
    runs.visit(root)
    for node in ast.walk(root):
        if isinstance(node, ast.Call) and _is_receiver_call(node):
            if getattr(node, "_sp_handled", False):
                timed += 1
            else:
                return False
    return timed > 0 and not runs.unknown


def _instrument_resolve(root: ast.Module) -> tuple[str, str] | None:
    """Rewrite the one statement resolving the receivers; the names of the
    sync and async receiver lists, or None."""
    found = []
    for statements in _statement_lists(root):
        for index, statement in enumerate(statements):
            if _is_resolve(statement):
                found.append((statements, index, statement))
    if len(found) != 1:
        return None
    statements, index, statement = found[0]
    sync, async_ = statement.targets[0].elts  # type: ignore[attr-defined]
    statements[index : index + 1] = _template(
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


def _statement_lists(root: ast.AST) -> list[list[ast.stmt]]:
    """Every list of statements in ``root`` (bodies, else and finally blocks,
    exception handlers' bodies)."""
    return [
        statements
        for node in ast.walk(root)
        for field in ("body", "orelse", "finalbody")
        if isinstance(statements := getattr(node, field, None), list)
        and all(isinstance(statement, ast.stmt) for statement in statements)
    ]


def _time_sync_call(statement: ast.stmt, receiver: str) -> list[ast.stmt]:
    """``response = receiver(...)`` timed, or the statement as it is."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _is_receiver_call(statement.value)
        and statement.value.func.id == receiver  # type: ignore[attr-defined]
    ):
        return [statement]
    statement.value._sp_handled = True  # type: ignore[attr-defined]
    return _timed(statement, ast.Name(receiver, ast.Load()), SYNC_HOOKS)


def _time_async_call(statement: ast.stmt) -> list[ast.stmt]:
    """``response = await receiver(...)`` timed, or the statement as it is."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.Await)
        and _is_receiver_call(statement.value.value)
    ):
        return [statement]
    call = statement.value.value
    call._sp_handled = True  # type: ignore[attr-defined]
    return _timed(statement, ast.Name(call.func.id, ast.Load()), ASYNC_HOOKS)  # type: ignore[attr-defined]


def _timed(
    statement: ast.Assign, receiver: ast.expr, hooks: dict[str, str]
) -> list[ast.stmt]:
    """``statement`` (an assignment of the receiver's response), timed."""
    response = copy.deepcopy(statement.targets[0])
    for node in ast.walk(response):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()  # type: ignore[attr-defined]
    return _template(
        _TIMED,
        statement.lineno,
        CALL=statement,
        RECEIVER=receiver,
        RESPONSE=response,
        **{hole: ast.Name(PREFIX + hook, ast.Load()) for hole, hook in hooks.items()},
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
            _is_receiver_call(generator.elt)
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
