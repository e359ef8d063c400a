"""The package's modules form one-way layers: no import cycle, no module over 400 lines.

The import graph is read from the source with ``ast``: every ``import`` and
``from ... import`` of a package module, at the top of a module, inside a
function or under ``if TYPE_CHECKING:``. ``docs/architecture.md`` draws the
layers; this test keeps them true.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "signal_panel"
MAX_LINES = 400

# Bottom to top: a module may import only modules of lower layers.
LAYERS = [
    {"syntax"},
    {
        "conf",
        "state",
        "pauses",
        "scan",
        "owners",
        "compiler.source",
        "compiler.rewrite",
    },
    {"describe", "calls", "compiler", "advice", "ignored", "across"},
    {"dispatch", "queries", "records", "registry", "inline_tasks"},
    {"async_receivers", "probes", "diagnose", "findings"},
    {"instrument", "stats", "wiring"},
    {"checks", "process_state"},
    {"apps"},
    {"recording"},
    {"api", "lifecycle", "stored_registry", "across_store"},
    {"panel", "pytest_profile", "__init__", "management.commands.record_signals"},
    {"pytest_plugin"},
]
# The view and the report read stats documents only: stacks of their own.
for level, names in enumerate(
    [
        {
            "view_html",
            "view_paths",
            "report.lines",
            "management",
            "management.commands",
        },
        {"view_model", "report.document"},
        {"view_tables", "view_source_html", "report.tree", "view_across"},
        {"view_rows", "view_tables_html", "view_findings"},
        {"view_details_html", "view_findings_html"},
        {"view_rows_html", "report.summaries"},
        {"view", "report"},
    ],
    start=1,
):
    LAYERS[level] |= names


def module_names(package: Path) -> dict[str, Path]:
    """``{"dispatch": path, "compiler.rewrite": path, "__init__": path, ...}``."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(path: Path, known: set[str], root: str) -> set[str]:
    """The package modules ``path`` imports, anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # "from pkg import mod" imports the module; "from pkg.mod import
            # name" imports pkg.mod (and pkg.mod.name if it is a module).
            targets = [node.module] + [
                f"{node.module}.{alias.name}" for alias in node.names
            ]
        else:
            continue
        names = {
            t.removeprefix(root + ".") for t in targets if t.startswith(root + ".")
        }
        found |= names & known
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == root
            and any(alias.name not in known for alias in node.names)
        ):
            found.add("__init__")  # A name of the package itself.
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    names = module_names(package)
    return {
        name: imports_of(path, set(names), package.name) - {name}
        for name, path in names.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(name: str) -> int:
    for level, members in enumerate(LAYERS):
        if name in members:
            return level
    raise AssertionError(f"{name} is in no layer: add it to LAYERS and the docs")


def test_no_import_cycle():
    assert cycles(import_graph(PACKAGE)) == []


def test_every_import_points_down():
    upward = [
        (name, target)
        for name, targets in import_graph(PACKAGE).items()
        for target in targets
        if layer_of(target) >= layer_of(name)
        and not target.startswith(name.split(".")[0] + ".")
    ]
    assert upward == []


def test_the_compiler_imports_nothing_else_of_the_package():
    graph = import_graph(PACKAGE)
    for name in ("compiler", "compiler.source", "compiler.rewrite"):
        assert {t for t in graph[name] if not t.startswith("compiler")} == set()


def test_no_module_is_over_400_lines():
    long = {
        name: len(path.read_text().splitlines())
        for name, path in module_names(PACKAGE).items()
        if len(path.read_text().splitlines()) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        # At the top of a module.
        ("state.py", "from signal_panel import api\n"),
        # Inside a function, two layers away.
        ("calls.py", "def later():\n    from signal_panel.recording import x\n"),
        # Type-checking only: an import all the same.
        ("records.py", "if TYPE_CHECKING:\n    import signal_panel.stats\n"),
    ],
)
def test_a_planted_cycle_is_found(tmp_path, module, planted):
    copy = tmp_path / "signal_panel"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    path.write_text(path.read_text() + "\n" + planted)
    assert cycles(import_graph(copy)) != []


def test_the_types_a_user_receives_are_exported():
    import signal_panel
    from signal_panel import records

    exported = set(signal_panel.__all__)
    assert {"Recording", "Config", "record_signals"} <= exported
    public_records = {
        name
        for name, value in vars(records).items()
        if isinstance(value, type) and value.__module__ == records.__name__
    }
    assert public_records <= exported
