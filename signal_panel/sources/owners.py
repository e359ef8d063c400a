"""Whose code a dotted name is: the project's own, an installed package's,
Django's, the toolbar's, or Python's.

The panel's advice depends on it: a fix in the project's own receiver is the
user's to make; a package's receiver can only be disconnected, overridden,
batched around or reported upstream. Decided from the module a name lives in:

- ``django`` and the toolbar (``debug_toolbar``, ``signal_panel``) by name;
- a module whose file is under a ``site-packages`` or ``dist-packages``
  directory is an installed package's, named after the distribution that
  provides its top-level package, with that distribution's version;
- a module under the project's directory (``settings.BASE_DIR``, else the
  current directory) is the project's own, even if installed in editable
  mode;
- the standard library is Python's; anything else that a distribution
  provides is that package's, and what is left is treated as the project's.

Computed off the hot path, once per top-level package (cached): the files of
loaded modules do not move while a process runs.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from importlib import metadata
from typing import Any

from django.conf import settings

PROJECT = "project"
PACKAGE = "package"
DJANGO = "django"
TOOLBAR = "toolbar"
PYTHON = "python"
# The order the panel lists code in: the user's own first, the toolbar last.
RANK = {PROJECT: 0, PACKAGE: 1, DJANGO: 2, PYTHON: 3, TOOLBAR: 4}

PACKAGE_DIRS = frozenset({"site-packages", "dist-packages"})
_SEPARATORS = re.compile(r"[\\/]")
_TOOLBAR_DISTRIBUTIONS = {
    "debug_toolbar": "django-debug-toolbar",
    "signal_panel": "signal-panel",
}


def owner_of(dotted: str) -> dict[str, Any]:
    """``{"kind", "distribution", "version"}`` of the code ``dotted`` names
    (a module, or a function, class or signal inside one)."""
    module = _longest_module(dotted)
    return _owner_of_package(module.split(".", 1)[0]) if module else _unknown()


def rank(owner: dict[str, Any] | None) -> int:
    """Where code of ``owner`` sorts: the project's first, the toolbar's last."""
    return RANK.get((owner or {}).get("kind", PROJECT), 0)


def _longest_module(dotted: str) -> str | None:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in sys.modules:
            return name
    return None


def _unknown() -> dict[str, Any]:
    return {"kind": PROJECT, "distribution": None, "version": None}


@functools.lru_cache(maxsize=1024)
def _owner_of_package(top: str) -> dict[str, Any]:
    if top == "django":
        return _owner(DJANGO, "Django")
    if top in _TOOLBAR_DISTRIBUTIONS:
        return _owner(TOOLBAR, _TOOLBAR_DISTRIBUTIONS[top])
    module = sys.modules.get(top)
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or top in sys.stdlib_module_names:
        return {"kind": PYTHON, "distribution": None, "version": None}
    path = os.path.abspath(path)
    distribution = _distribution_of(top)
    if PACKAGE_DIRS.intersection(_SEPARATORS.split(path)):
        return _owner(PACKAGE, distribution or top)
    if _is_inside(path, project_directory()):
        return _unknown()
    if distribution is not None:
        return _owner(PACKAGE, distribution)
    if _is_inside(path, sys.base_prefix) or _is_inside(path, sys.prefix):
        return {"kind": PYTHON, "distribution": None, "version": None}
    return _unknown()


def _owner(kind: str, distribution: str) -> dict[str, Any]:
    try:
        version: str | None = metadata.version(distribution)
    except (metadata.PackageNotFoundError, ValueError):
        version = None
    return {"kind": kind, "distribution": distribution, "version": version}


def _distribution_of(top: str) -> str | None:
    names = _packages_distributions().get(top) or []
    return names[0] if names else None


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


def project_directory() -> str:
    """``settings.BASE_DIR`` if it is a path, else the current directory."""
    base = getattr(settings, "BASE_DIR", None) if settings.configured else None
    if not isinstance(base, str | os.PathLike):
        base = os.getcwd()
    return os.path.abspath(os.fspath(base))


def _is_inside(path: str, root: str) -> bool:
    root = root.rstrip("\\/")
    return path.startswith(root) and path[len(root) : len(root) + 1] in ("/", "\\")


def describe_owner(owner: dict[str, Any] | None) -> str:
    """ "your project", "pagesearch 1.4.2", "Django 5.2.9", ... for text."""
    owner = owner or _unknown()
    if owner.get("kind") == PROJECT:
        return "your project"
    if owner.get("kind") == PYTHON:
        return "Python"
    name = owner.get("distribution") or "an installed package"
    version = owner.get("version")
    return f"{name} {version}" if version else str(name)
