"""Short file paths: how the panel names a recorded source file.

The stats document keeps absolute paths (``call_site``, traceback frames, the
registry's ``file``); the panel shows them short, the full path on hover and
in the editor link:

- an installed package's file from its ``site-packages`` or
  ``dist-packages`` directory on: ``django/dispatch/dispatcher.py``;
- the project's own files relative to ``settings.BASE_DIR`` (the current
  directory when it is not set): ``shop/receivers.py``;
- any other file relative to the longest ``sys.path`` entry it is under
  (the standard library, a source checkout): ``asyncio/tasks.py``;
- anything else as recorded.

The roots are read where the panel is rendered: the same project, normally,
as the one that recorded the request.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass

from django.conf import settings

# Directories that installers put packages in.
PACKAGE_DIRS = frozenset({"site-packages", "dist-packages"})
SEPARATORS = re.compile(r"[\\/]")
# Leading traceback frames of the dispatch machinery, by their short path:
# Django's dispatcher, asgiref's thread hops, the recorder's own probes, and
# the standard library's event loop and thread pools around async receivers.
MACHINERY = (
    "django/dispatch/",
    "asgiref/",
    "signal_panel/",
    "asyncio/",
    "concurrent/futures/",
    "threading.py",
)


@dataclass(frozen=True, slots=True)
class Roots:
    """The directories paths are shown relative to."""

    project: str
    entries: tuple[str, ...]  # sys.path, longest first

    @classmethod
    def now(cls) -> Roots:
        """The project's ``BASE_DIR`` (else the current directory) and ``sys.path``."""
        base = getattr(settings, "BASE_DIR", None) if settings.configured else None
        if not isinstance(base, str | os.PathLike):
            base = os.getcwd()
        entries = {
            os.path.abspath(entry or os.curdir)
            for entry in sys.path
            if isinstance(entry, str)
        }
        return cls(
            os.path.abspath(os.fspath(base)),
            tuple(sorted((e for e in entries if len(e) > 1), key=len, reverse=True)),
        )


@functools.lru_cache(maxsize=2048)
def short_path(path: str, roots: Roots) -> str:
    """``path`` as the panel shows it (see the module's docstring)."""
    if not os.path.isabs(path):
        return path
    parts = SEPARATORS.split(path)
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in PACKAGE_DIRS:
            return "/".join(parts[index + 1 :])
    for root in (roots.project, *roots.entries):
        inside = _inside(path, root)
        if inside:
            return inside
    return path


def _inside(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with ``/`` separators, if it is under it."""
    prefix = root.rstrip("\\/")
    if len(path) > len(prefix) + 1 and path.startswith(prefix):
        rest = path[len(prefix) :]
        if rest[0] in "\\/":
            return "/".join(SEPARATORS.split(rest[1:]))
    return None


def is_machinery(short: str) -> bool:
    """Whether a frame of this (short) path is the dispatch machinery's."""
    return short.startswith(MACHINERY)
