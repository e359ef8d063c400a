"""Django's own source of a function, only if it is the code Python runs.

The recorder compiles copies of Django's methods from their source. If the
file changed after import (Django upgraded in place while a server runs, an
editable checkout being edited), a copy compiled from it into the old
module's globals would fail on every send: :func:`parse` compiles the whole
file as it is and compares the function's code with the loaded one first.
"""

from __future__ import annotations
import __future__

import ast
import copy
import linecache
import types
from typing import Any

DJANGO_MODULE = "django.dispatch.dispatcher"

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


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
            flags=code.co_flags & FUTURE_FLAGS,
            dont_inherit=True,
        )
    except (SyntaxError, ValueError, TypeError):
        return None
    func = _find_node(tree, code)
    if func is None or not same_code(_find_code(compiled, code), code):
        return None
    if not has_expected_signature(func, name, method=qualname is None):
        return None
    return copy.deepcopy(func)


def has_expected_signature(func: FunctionNode, name: str, method: bool = True) -> bool:
    """Whether ``func`` is Django's ``name`` as the copies expect it: a
    method ``(self, sender, **named)`` (``_live_receivers``: ``(self,
    sender)``), or the function ``_run_parallel(*coros)``; undecorated."""
    kwarg = None if name in ("_live_receivers", "_run_parallel") else "named"
    args = func.args
    return not (
        func.name != name
        or func.decorator_list
        or [arg.arg for arg in args.args] != (["self", "sender"] if method else [])
        or args.posonlyargs
        or args.kwonlyargs
        or args.defaults
        or (args.vararg is not None) != (name == "_run_parallel")
        or getattr(args.kwarg, "arg", None) != kwarg
    )


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
    if positions is not None and list(positions()) != list(
        getattr(loaded, "co_positions")()  # noqa: B009
    ):
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
