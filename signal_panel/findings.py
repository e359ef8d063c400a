"""The classic mistakes with signals, found in a recording and the registry.

Each finding says what is wrong, where, and a one-line fix. All of them are
found when the stats are built (never on the hot path), from the stats
document, the registry of connected receivers at that moment, and a look at
the installed apps' source files:

- ``unimported``: an app's ``signals.py``, ``receivers.py`` or
  ``handlers.py`` connects receivers but was never imported.
- ``connected_twice``: one function connected twice to one signal.
- ``dead_weak``: a weakly connected receiver was garbage-collected.
- ``string_sender``: ``sender="app.Model"`` on a plain ``Signal``.
- ``reentrant_save``: a ``post_save`` receiver saves its instance again.
- ``sql_per_row``: a receiver ran many times, with SQL each time.

Each says whose code it is about (``owner``: the project's, an installed
package's, ...), with a fix that fits (``advice``); the project's come first.
"""

from __future__ import annotations

import ast
import os
import sys
import weakref
from collections import Counter, defaultdict
from typing import Any

from django.apps import apps

from signal_panel import advice
from signal_panel.describe import callable_name, source_location
from signal_panel.owners import owner_of
from signal_panel.records import DEAD_WEAK, GARBAGE_COLLECTED
from signal_panel.scan import known_signals
from signal_panel.syntax import parsed

POST_SAVE = "django.db.models.signals.post_save"
RECEIVER_MODULES = ("signals", "receivers", "handlers")
# A receiver run this often in one recording, with SQL (nearly) each time,
# is reported: an N+1 often skips its query for a row or two (the root of a
# tree has no parent to update).
RUNS_PER_ROW = 10
QUERIES_PER_RUN = 0.9


def findings(
    stats: dict[str, Any], registry: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every mistake found: the project's own first, then those in installed
    packages; each owner's most serious first."""
    return advice.ordered(
        [
            *unimported_findings(),
            *_connected_twice(),
            *_string_senders(registry),
            *_dead_weak(stats),
            *_reentrant_saves(stats),
            *_sql_per_row(stats),
        ]
    )


def finding(
    kind: str,
    title: str,
    detail: str,
    fix: str,
    signal: str | None = None,
    receiver: str | None = None,
    dispatches: list[int] | None = None,
    owner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A finding; ``owner``: whose code it is about, None when unknown. A
    caller giving it gives the fix that fits it; else it is the receiver's,
    and an installed package's receiver gets ``advice``'s general fix."""
    if owner is None and receiver is not None:
        owner = owner_of(receiver)
        if advice.is_installed(owner):
            fix = advice.installed_fix(owner)
    return {
        "kind": kind,
        "title": title,
        "detail": detail,
        "fix": fix,
        "signal": signal,
        "receiver": receiver,
        "dispatches": dispatches or [],
        "owner": owner,
    }


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
            if advice.is_installed(owner)
            else f"Import it in {label}'s AppConfig.ready(): "
            f"`from . import {module.rsplit('.', 1)[1]}  # noqa: F401`.",
            owner=owner,
        )
        for label, module in unimported_receiver_modules()
        for owner in [owner_of(module)]
    ]


# The registry --------------------------------------------------------------------


def _connected_twice() -> list[dict[str, Any]]:
    """The same function (same file and line, same instance for a method)
    connected more than once to one signal for one sender: a module imported
    under two names, a connect() without dispatch_uid run twice."""
    found = []
    for signal, signal_name in known_signals().values():
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
                        if advice.is_installed(owner)
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


def _string_senders(registry: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for entry in registry:
        if entry.get("model_signal"):
            continue
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


def _dead_weak(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Weak receivers that died before a send of this recording could run
    them. (A dead entry in a signal's connections alone is no mistake:
    Django drops them lazily, and an object may well be gone on purpose.)"""
    dispatches: defaultdict[str, list[int]] = defaultdict(list)
    for dispatch in stats.get("dispatches") or ():
        if any(
            skipped["name"] == GARBAGE_COLLECTED
            for skipped in dispatch.get("not_called") or ()
        ):
            dispatches[dispatch["signal"]].append(dispatch["id"])
    for orphan in stats.get("orphans") or ():
        if any(r["name"] == GARBAGE_COLLECTED for r in orphan.get("receivers") or ()):
            dispatches.setdefault(orphan["signal"], [])
    return [
        finding(
            "dead_weak",
            f"A weak receiver of {signal} died",
            f"A receiver connected to {signal} with weak=True (the default) was "
            f"garbage-collected ({DEAD_WEAK}): a lambda, a function defined "
            "inside another, or a bound method of a temporary object.",
            "Connect a module-level function, keep a reference to the receiver, "
            "or pass weak=False.",
            signal=signal,
            dispatches=ids[:20],
        )
        for signal, ids in dispatches.items()
    ]


# The recording ---------------------------------------------------------------


def _reentrant_saves(stats: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {d["id"]: d for d in stats.get("dispatches") or ()}
    found = []
    for dispatch in by_id.values():
        parent = by_id.get(dispatch.get("parent"))
        if (
            parent is None
            or dispatch["signal"] != POST_SAVE
            or parent["signal"] != POST_SAVE
            or dispatch["sender"] != parent["sender"]
        ):
            continue
        instance = _kwarg(dispatch, "instance")
        if instance is None or instance != _kwarg(parent, "instance"):
            continue
        if instance.endswith("(pk=None)"):
            continue
        receiver = dispatch.get("parent_receiver") or "a receiver"
        found.append(
            finding(
                "reentrant_save",
                f"Re-entrant save: {receiver}",
                f"{receiver} saves the instance it received ({instance}) again: "
                "post_save is sent once more, from inside its own receiver.",
                "Use a queryset .update() for the change, or guard the receiver "
                "against re-entry (e.g. check update_fields).",
                signal=POST_SAVE,
                receiver=receiver,
                dispatches=[parent["id"], dispatch["id"]],
            )
        )
    return found


def _kwarg(dispatch: dict[str, Any], name: str) -> str | None:
    for key, value in dispatch.get("kwargs") or ():
        if key == name:
            return str(value)
    return None


def _sql_per_row(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Receivers that ran SQL (their own, their tasks', their sends') on
    (nearly) every run; the detail says whose SQL it was."""
    sums: dict[tuple[str, str], advice.SqlSums] = {}
    for group in stats.get("groups") or ():
        for receiver in group["receivers"]:
            key = (group["signal"], receiver["name"])
            sums.setdefault(key, advice.SqlSums()).add(group, receiver)
    found = []
    for (signal, name), each in sums.items():
        runs, total = each.runs, each.own + each.nested + sum(each.tasks.values())
        if runs < RUNS_PER_ROW or total < runs * QUERIES_PER_RUN:
            continue
        owner = owner_of(name)
        split = advice.sql_split(runs, each.own, each.nested, each.tasks)
        fix = (
            advice.sql_per_row_fix(owner, signal, name, each.sender())
            if advice.is_installed(owner)
            else "Do the work once for all rows (bulk_create, update(), "
            "prefetch_related), or outside the per-row signal."
        )
        if any(each.tasks.values()):
            fix += (
                " A queueing task backend (not the immediate one) would run its "
                "tasks elsewhere, yet still one per row."
            )
        found.append(
            finding(
                "sql_per_row",
                f"SQL per row in a receiver: {name}",
                f"{name} ran {runs} times on {signal} in this recording, with "
                f"{total} queries ({advice.per_run(total, runs)} per run): an N+1 "
                "inside a signal receiver." + (f" {split}" if split else ""),
                fix,
                signal=signal,
                receiver=name,
                owner=owner,
            )
        )
    return found
