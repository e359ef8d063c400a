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
- :func:`compile_gated`: Django's send method with a gate that calls a hook
  (``record``) while recording: the fallback when a method's body has a
  shape ``rewrite`` does not know; :func:`compile_probing`, the gate of
  ``_live_receivers`` for sends recorded through probes.

A pure transformer: it imports nothing from the rest of the package. The
recorder's functions reach the compiled code as hooks (:class:`SendHooks`,
:class:`GateHooks`, :class:`ProbingHooks`), each field as a closure variable
named ``_sp_<field>``; the layout of a receiver's call as :class:`CallSlots`.
What the copies are, as text, is a pure function of Django's source
(:func:`compiled_sources`): ``python -m signal_panel.recorder.compiler``
prints it for the installed Django.
"""

from __future__ import annotations

import ast
import copy
import types
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from signal_panel.recorder.compiler.contracts import (
    CallSlots,
    GateHooks,
    ProbingHooks,
    SendHooks,
)
from signal_panel.recorder.compiler.rewrite import (
    PREFIX,
    instrument,
    instrument_parallel,
    template,
)
from signal_panel.recorder.compiler.source import (
    DJANGO_MODULE,
    FUTURE_FLAGS,
    FunctionNode,
    has_expected_signature,
    parse,
)

__all__ = [
    "DJANGO_MODULE",
    "LIVE_RECEIVERS",
    "RUN_PARALLEL",
    "SEND_METHODS",
    "CallSlots",
    "GateHooks",
    "ProbingHooks",
    "SendHooks",
    "compile_gated",
    "compile_parallel",
    "compile_probing",
    "compile_send",
    "compiled_sources",
    "parse",
    "render",
]

SEND_METHODS = ("send", "send_robust", "asend", "asend_robust")
LIVE_RECEIVERS = "_live_receivers"
RUN_PARALLEL = "_run_parallel"


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
    method: (
        "if _sp_recordings() is not None or self is _sp_request_started:\n"
        f"    return {'await ' if method.startswith('a') else ''}"
        f"_sp_record(_sp_original, {method!r}, self, sender, named)\n"
    )
    for method in SEND_METHODS
}
# Only a send recorded through probes hands Django probes.
_PROBING = "if _sp_probing():\n    return _sp_record(_sp_original, self, sender)\n"


def compile_send(
    name: str,
    original: Any,
    hooks: SendHooks,
    slots: CallSlots,
    module: str,
    runners: frozenset[str] = frozenset({"asyncio.gather"}),
) -> Callable[..., Any] | None:
    """Django's send method ``name``, gated, recording in its own frame; or None.

    Sync receivers' calls are written inline in ``slots``' layout. Where
    Django hands the async receivers' coroutines to one of ``runners``
    (e.g. ``asyncio.gather``), ``hooks.parallel`` runs them.
    """
    func = parse(original, name)
    if func is None or _varnames_use_prefix(original):
        return None
    if not recorded_send(func, name, runners, slots):
        return None
    return _compile(func, original, hooks, {}, module)


def recorded_send(
    func: FunctionNode, name: str, runners: frozenset[str], slots: CallSlots
) -> bool:
    """Rewrite, in place, the tree of Django's send method ``name`` into its
    compiled copy's (the gate, Django's body, the recorded copy of it);
    False if it has a shape the rewrite does not know."""
    if _uses_prefix(func):
        return False
    docstring, body = _split_docstring(func)
    recorded = copy.deepcopy(body)
    if not instrument(recorded, runners, slots):
        return False
    func.body = docstring + template(
        _SEND,
        body[0].lineno,
        PLAIN=copy.deepcopy(body),
        UNRECORDED=body,
        RECORDED=recorded,
        METHOD=ast.Constant(name),
    )
    return True


def compile_parallel(
    original: Any, hooks: SendHooks, module: str
) -> Callable[..., Any] | None:
    """Django 6.1's ``_run_parallel(*coros)`` as
    ``_run_parallel(_sp_d, _sp_receivers, *coros)``, timing each receiver's
    coroutine where Django awaits it (``aenter``, ``adone``, ``afailed``);
    or None."""
    func = parse(original, RUN_PARALLEL, qualname=RUN_PARALLEL)
    if func is None or _varnames_use_prefix(original):
        return None
    if not recorded_parallel(func):
        return None
    return _compile(func, original, hooks, {}, module)


def recorded_parallel(func: FunctionNode) -> bool:
    """Rewrite, in place, the tree of Django 6.1's ``_run_parallel`` into
    its compiled copy's; False if it has another shape."""
    if _uses_prefix(func) or not instrument_parallel(func):
        return False
    func.args.args = [ast.arg("_sp_d"), ast.arg("_sp_receivers")]
    return True


def compile_gated(
    name: str, original: Any, hooks: GateHooks, module: str
) -> Callable[..., Any] | None:
    """Django's own send method ``name`` with a gate as its first statement
    (``hooks.record`` while recording), or None."""
    return _gate(name, _GATED[name], original, hooks, module)


def compile_probing(
    original: Any, hooks: ProbingHooks, module: str
) -> Callable[..., Any] | None:
    """Django's own ``_live_receivers`` with a gate as its first statement
    (``hooks.record`` while probing), or None."""
    return _gate(LIVE_RECEIVERS, _PROBING, original, hooks, module)


def _gate(
    name: str,
    gate: str,
    original: Any,
    hooks: GateHooks | ProbingHooks,
    module: str,
) -> Callable[..., Any] | None:
    func = parse(original, name)
    if func is None:
        return None
    docstring, body = _split_docstring(func)
    func.body = docstring + template(gate, body[0].lineno) + body
    return _compile(func, original, hooks, {"original": original}, module)


def compiled_sources(source: str, slots: CallSlots) -> dict[str, str | None]:
    """What the compiled copies are, as text, made from the text ``source``
    of Django's ``dispatcher.py``: ``_run_parallel`` (Django 6.1) and each
    send method, or None for one the rewrite does not know (the recorder
    gates it and records through probes). A pure function of the text: the
    trees ``compile_send`` and ``compile_parallel`` compile."""
    tree = ast.parse(source)
    runners = {"asyncio.gather"}
    texts: dict[str, str | None] = {}
    functions = {
        n.name: n
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if RUN_PARALLEL in functions:
        func = functions[RUN_PARALLEL]
        made = has_expected_signature(func, RUN_PARALLEL, method=False)
        texts[RUN_PARALLEL] = None
        if made and recorded_parallel(func):
            texts[RUN_PARALLEL] = ast.unparse(func)
            runners.add(RUN_PARALLEL)
    signals = [
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Signal"
    ]
    methods = {
        n.name: n
        for signal in signals[-1:]  # The one Python keeps, if several.
        for n in signal.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for name in SEND_METHODS:
        method = methods.get(name)
        texts[name] = None
        if (
            method is not None
            and has_expected_signature(method, name)
            and recorded_send(method, name, frozenset(runners), slots)
        ):
            texts[name] = ast.unparse(method)
    return texts


def render(texts: dict[str, str | None]) -> str:
    """:func:`compiled_sources`' result for a reader: each copy under a
    heading. The code is Django's as Python runs it (without comments),
    with the recorder's statements (names ``_sp_...``) in it."""
    parts = []
    for name, text in texts.items():
        title = name if name == RUN_PARALLEL else f"Signal.{name}"
        if text is None:
            parts.append(f"# {title}: not compiled (gated, recorded through probes)\n")
        else:
            parts.append(f"# {title}\n{text}\n")
    return "\n\n".join(parts)


def _split_docstring(func: FunctionNode) -> tuple[list[ast.stmt], list[ast.stmt]]:
    count = 1 if ast.get_docstring(func) is not None else 0
    return func.body[:count], func.body[count:]


def _uses_prefix(func: ast.AST) -> bool:
    """Whether Django's code itself uses a name of ours (it never does)."""
    for node in ast.walk(func):
        name = getattr(node, "id", None) or getattr(node, "arg", None)
        if not isinstance(name, str) and isinstance(node, ast.ExceptHandler):
            name = node.name
        if isinstance(name, str) and name.startswith(PREFIX):
            return True
    return False


def _varnames_use_prefix(original: Any) -> bool:
    return any(name.startswith(PREFIX) for name in original.__code__.co_varnames)


def _compile(
    func: FunctionNode,
    original: Any,
    hooks: SendHooks | GateHooks | ProbingHooks,
    extra: dict[str, Any],
    module: str,
) -> Callable[..., Any] | None:
    """Compile ``func`` to run in Django's own module globals (patches of the
    module are seen, as by Django's function), each hook (and each of
    ``extra``) reaching it as the closure variable ``_sp_<name>``.

    Raises TypeError if the code uses a ``_sp_`` name that is not one of
    them: a template and the hooks' structure out of step, which must not
    pass for a global look-up failing on every send.
    """
    given = {field.name: getattr(hooks, field.name) for field in fields(hooks)}
    names = {PREFIX + key: value for key, value in {**given, **extra}.items()}
    missing = sorted(_free_names(func) - set(names))
    if missing:
        raise TypeError(f"{type(hooks).__name__} gives no {', '.join(missing)}")
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


def _free_names(func: FunctionNode) -> set[str]:
    """The ``_sp_`` names ``func`` reads but never binds: its hooks."""
    read: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and node.id.startswith(PREFIX):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg) and node.arg.startswith(PREFIX):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return read - bound
