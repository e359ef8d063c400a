"""What the loaded modules hold: every ``Signal`` with its dotted name, and
the classes they define, found by id.

Signals have no name of their own; the panel names each by where it lives
(``django.db.models.signals.post_save``), found by scanning ``sys.modules``
and the classes they define, again whenever modules were imported since.
A signal reachable under several names (``from django.core.signals import
setting_changed`` in a package's module) is named after the module whose
source assigns it (``setting_changed = Signal()``), whatever the import order.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

from django.dispatch import Signal

from signal_panel.sources.trees import parsed

# Signal names: found by scanning loaded modules (and their classes) for
# Signal instances, cached per id and re-scanned when new modules appear.
_signal_names: dict[int, str] = {}
_known_signals: dict[int, tuple[Signal, str]] = {}
_known_classes: dict[int, type] = {}
_scanned_modules = 0


def modules_changed() -> bool:
    return len(sys.modules) != _scanned_modules


def signal_name(signal: Signal) -> str:
    name = _signal_names.get(id(signal))
    if name is None and modules_changed():
        scan_signals()
        name = _signal_names.get(id(signal))
    kind = type(signal)
    return name or f"<unnamed {kind.__module__}.{kind.__qualname__}>"


def known_signals() -> dict[int, tuple[Signal, str]]:
    """``scan_signals()``, scanning again only when modules were imported since."""
    if modules_changed():
        scan_signals()
    return _known_signals


def scan_signals() -> dict[int, tuple[Signal, str]]:
    """Map id → (signal, dotted path) for every Signal reachable from a module."""
    global _scanned_modules, _known_signals, _known_classes
    found: dict[int, list[tuple[Signal, str, str]]] = {}
    classes: dict[int, type] = {}
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attr, value in list(namespace.items()):
            # type(), not isinstance(): module-level lazy objects must stay lazy.
            kind = type(value)
            if issubclass(kind, Signal):
                found.setdefault(id(value), []).append((value, module_name, attr))
            elif (
                issubclass(kind, type)
                and value.__dict__.get("__module__") == module_name
            ):
                classes[id(value)] = value
                for class_attr, class_value in list(vars(value).items()):
                    if issubclass(type(class_value), Signal):
                        found.setdefault(id(class_value), []).append(
                            (
                                class_value,
                                module_name,
                                f"{value.__qualname__}.{class_attr}",
                            )
                        )
    result = {}
    for key, candidates in found.items():
        signal, module_name, attr = _defining(candidates)
        _signal_names[key] = f"{module_name}.{attr}"
        result[key] = (signal, _signal_names[key])
    _scanned_modules = len(sys.modules)
    _known_signals = result
    _known_classes = classes
    return result


def known_class(key: int) -> type | None:
    """The class defined in a loaded module whose id is ``key``, if any: the
    sender a receiver was connected for, where Django keeps only its id."""
    if modules_changed():
        scan_signals()
    return _known_classes.get(key)


def _canonical_rank(candidate: tuple[Signal, str, str]) -> tuple[int, int, int, str]:
    """Prefer the module that defines a signal over those that re-export it."""
    _, module_name, attr = candidate
    namespace = vars(sys.modules.get(module_name)) if module_name in sys.modules else {}
    defines = "Signal" in namespace or "ModelSignal" in namespace
    return (
        0 if defines else 1,
        0 if module_name.rsplit(".", 1)[-1] == "signals" else 1,
        module_name.count("."),
        module_name + "." + attr,
    )


def _defining(candidates: list[tuple[Signal, str, str]]) -> tuple[Signal, str, str]:
    """The name of a signal among several: the first, by :func:`_canonical_rank`,
    whose module's source assigns it (sources read only until one does); the
    first by that rank if none does (no source, built some other way)."""
    ranked = sorted(candidates, key=_canonical_rank)
    if len(ranked) > 1:
        for candidate in ranked:
            if _assigns(candidate[1], candidate[2]):
                return candidate
    return ranked[0]


def _assigns(module_name: str, attr: str) -> bool:
    """Whether the source of ``module_name`` assigns a call to ``attr``
    (``name = Signal()`` at the top level, ``Class.name`` in a class body)."""
    path = getattr(sys.modules.get(module_name), "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    tree = parsed(path)
    if tree is None:
        return False
    *owners, name = attr.split(".")
    body: list[ast.stmt] = tree.body
    for owner in owners:
        classes = [
            node
            for node in body
            if isinstance(node, ast.ClassDef) and node.name == owner
        ]
        if not classes:
            return False
        body = classes[-1].body
    return any(_assigns_call(node, name) for node in body)


def _assigns_call(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    else:
        return False
    return isinstance(node.value, ast.Call) and any(
        isinstance(target, ast.Name) and target.id == name for target in targets
    )


_FAMILIES = (
    ("django.core.signals.request_", "request"),
    ("django.core.signals.got_request_exception", "request"),
    ("django.db.models.signals.", "model"),
    ("django.db.backends.signals.", "database"),
    ("django.contrib.auth.signals.", "auth"),
    ("django.", "framework"),
)
_THIRD_PARTY_DIRS = ("site-packages", "dist-packages")


def signal_family(name: str) -> str:
    """request, model, database, auth, framework, third-party or custom."""
    for prefix, family in _FAMILIES:
        if name.startswith(prefix):
            return family
    module = _longest_module(name)
    filename = getattr(module, "__file__", None) or ""
    if any(part in filename for part in _THIRD_PARTY_DIRS):
        return "third-party"
    return "custom"


def _longest_module(dotted: str) -> Any:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None:
            return module
    return None
