"""Python syntax trees of source files, parsed once per version, one thread at a time.

CPython's AST constructor is not safe in concurrent threads: two requests
building their stats at once (each looking at receivers' source files) made
``ast.parse`` fail with "AST constructor recursion depth mismatch". Every
use of ``ast`` at run time (here, and the compiler's, through ``instrument``)
holds :data:`LOCK`.
"""

from __future__ import annotations

import ast
import os
import threading

LOCK = threading.RLock()

# path -> (its modification time, its tree or None if it does not parse).
_trees: dict[str, tuple[float, ast.Module | None]] = {}


def parsed(path: str) -> ast.Module | None:
    """The syntax tree of the source file at ``path``, parsed once per version."""
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return None
    cached = _trees.get(path)
    if cached is not None and cached[0] == modified:
        return cached[1]
    with LOCK:
        try:
            with open(path, encoding="utf-8") as source:
                tree: ast.Module | None = ast.parse(source.read(), path)
        except (OSError, SyntaxError, ValueError):
            tree = None
        if len(_trees) >= 256:
            _trees.clear()
        _trees[path] = (modified, tree)
    return tree
