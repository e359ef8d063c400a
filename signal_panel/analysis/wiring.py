"""How the project wires its receivers: the mistakes in the process's
modules and connections, found once per process state (``process_state``).

- ``unimported``: an app's ``signals.py``, ``receivers.py`` or
  ``handlers.py`` connects receivers but was never imported (a look at the
  installed apps' source files; also the system check ``signal_panel.W002``).
- ``connected_twice``: one function connected twice to one signal.
- ``string_sender``: ``sender="app.Model"`` on a plain ``Signal``.

:func:`signal_findings` looks at one signal, so that a state that differs
from the last in a few signals' connections looks at those only.
"""

from __future__ import annotations

import ast
import os
import sys
import weakref
from collections import Counter, defaultdict
from typing import Any

from django.apps import apps
from django.dispatch import Signal

from signal_panel.analysis import advice
from signal_panel.analysis.findings import finding
from signal_panel.describe import callable_name, source_location
from signal_panel.sources.owners import owner_of
from signal_panel.sources.trees import parsed

RECEIVER_MODULES = ("signals", "receivers", "handlers")


def signal_findings(
    signal: Signal, name: str, entry: dict[str, Any]
) -> list[dict[str, Any]]:
    """The mistakes in the connections of ``signal`` (named ``name``, whose
    registry entry is ``entry``)."""
    return [*connected_twice(signal, name), *string_senders(entry)]


# Receiver modules never imported ----------------------------------------------


def unimported_receiver_modules() -> list[tuple[str, str]]:
    """(app label, module) of each installed app's ``signals``, ``receivers``
    or ``handlers`` module that connects receivers but was never imported."""
    found = []
    for app in apps.get_app_configs():
        for short in RECEIVER_MODULES:
            module = f"{app.name}.{short}"
            path = os.path.join(app.path or "", f"{short}.py")
            if module not in sys.modules and _connects_receivers(path):
                found.append((app.label, module))
    return found


def _connects_receivers(path: str) -> bool:
    """Whether the module at ``path`` connects receivers: an ``@receiver``
    decorator, or a ``.connect(function)`` in a module importing signals."""
    tree = parsed(path)
    return tree is not None and (
        _uses_receiver_decorator(tree)
        or (_imports_signals(tree) and _calls_connect(tree))
    )


def _uses_receiver_decorator(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(
            isinstance(decorator, ast.Call) and _called_name(decorator) == "receiver"
            for decorator in node.decorator_list
        )
        for node in ast.walk(tree)
    )


def _imports_signals(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module is not None
        and ("signals" in node.module or "dispatch" in node.module)
        for node in ast.walk(tree)
    )


def _calls_connect(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "connect"
        and (node.args or any(k.arg == "receiver" for k in node.keywords))
        for node in ast.walk(tree)
    )


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def unimported_findings() -> list[dict[str, Any]]:
    return [
        finding(
            "unimported",
            f"Receiver module never imported: {module}",
            f"{module} connects receivers, but nothing imported it: its "
            "@receiver decorators never ran, so its receivers never run.",
            advice.unimported_fix(owner, module)
            if advice.in_installed_code(owner)
            else f"Import it in {label}'s AppConfig.ready(): "
            f"`from . import {module.rsplit('.', 1)[1]}  # noqa: F401`.",
            owner=owner,
        )
        for label, module in unimported_receiver_modules()
        for owner in [owner_of(module)]
    ]


# The registry --------------------------------------------------------------------


def connected_twice(signal: Signal, signal_name: str) -> list[dict[str, Any]]:
    """The same function (same file and line, same instance for a method)
    connected more than once to ``signal`` for one sender: a module imported
    under two names, a connect() without dispatch_uid run twice."""
    found = []
    places: Counter[tuple[Any, ...]] = Counter()
    names: defaultdict[tuple[Any, ...], list[str]] = defaultdict(list)
    for entry in list(signal.receivers):
        receiver = _deref(entry[1])
        location = source_location(receiver) if receiver is not None else None
        if location is None:
            continue
        owner = getattr(receiver, "__self__", None)
        key = (*location, id(owner) if owner is not None else None, entry[0][1])
        places[key] += 1
        if (name := callable_name(receiver)) not in names[key]:
            names[key].append(name)
    for key, count in places.items():
        if count > 1:
            both = " and ".join(names[key])
            owner = owner_of(names[key][0])
            found.append(
                finding(
                    "connected_twice",
                    f"Connected twice: {names[key][0]}",
                    f"{both} (one function) is connected {count} times to "
                    f"{signal_name}: it runs {count} times per send.",
                    advice.connected_twice_fix(owner, names[key][0])
                    if advice.in_installed_code(owner)
                    else "Import its module under one name only, or give "
                    "connect() a dispatch_uid.",
                    signal=signal_name,
                    receiver=names[key][0],
                    owner=owner,
                )
            )
    return found


def _deref(ref: Any) -> Any:
    return ref() if isinstance(ref, weakref.ReferenceType) else ref


def string_senders(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Receivers of a plain signal connected for a string sender."""
    found: list[dict[str, Any]] = []
    if entry.get("model_signal"):
        return found
    for receiver in entry["receivers"]:
        sender = receiver.get("sender") or ""
        text = None
        if sender.startswith("<object id") and receiver["file"] is not None:
            text = string_sender_in_source(
                receiver["file"], receiver["line"], receiver["name"]
            )
        if text is not None:
            found.append(
                finding(
                    "string_sender",
                    f"String sender on a plain Signal: {receiver['name']}",
                    f"{receiver['name']} is connected to {entry['signal']} for "
                    f"sender={text!r}. Only model signals resolve "
                    '"app_label.Model" strings; here the string itself is the '
                    "sender, and no send matches it.",
                    "Pass the class itself (sender=Model), or connect without "
                    "a sender and check it in the receiver.",
                    signal=entry["signal"],
                    receiver=receiver["name"],
                )
            )
    return found


def string_sender_in_source(path: str, line: int, name: str) -> str | None:
    """The string given as ``sender=`` where the function ``name`` (defined
    at ``path``:``line``) is connected: in its ``@receiver`` decorator, or
    in a ``.connect(function, sender="...")`` of its module."""
    function = name.rsplit(".", 1)[-1]
    tree = parsed(path)
    if tree is None:
        return None
    for node in ast.walk(tree):
        calls: list[ast.expr] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.name == function
        ):
            calls = node.decorator_list
        elif (
            isinstance(node, ast.Call)
            and _called_name(node) == "connect"
            and node.args
            and isinstance(node.args[0], ast.Name | ast.Attribute)
            and ast.unparse(node.args[0]).rsplit(".", 1)[-1] == function
        ):
            calls = [node]
        for call in calls:
            for keyword in getattr(call, "keywords", ()):
                if keyword.arg == "sender" and isinstance(keyword.value, ast.Constant):
                    value = keyword.value.value
                    if isinstance(value, str):
                        return value
    return None
