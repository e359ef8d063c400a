"""The package's modules form one-way layers: no cycle, no module over 400 lines.

The package is a stack of parts (``PARTS``: a subpackage or a module at the
top), and each subpackage a stack of its own modules (``INSIDE``). The import
graph is read from the source with ``ast``: every ``import`` and
``from ... import`` of a package module, at the top of a module, inside a
function or under ``if TYPE_CHECKING:``. ``docs/architecture.md`` draws the
layers; this test keeps them true.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "signal_panel"
MAX_LINES = 400
MAX_TOP_MODULES = 12

# The package's parts (a subpackage, or a module at its top), bottom to top:
# a part may import only parts of lower layers.
PARTS = [
    {"conf", "sources"},
    {"describe"},
    {"recorder"},
    {"recording"},
    {"analysis"},
    {"view", "report"},
    {"api", "checks", "templatetags"},
    {"apps", "toolbar"},
    {"panel", "pytest_profile", "management", "__init__"},
    {"pytest_plugin"},
]

# Inside each subpackage, bottom to top: a module may import only modules of
# lower layers of its own subpackage (and lower parts, as above).
INSIDE = {
    "sources": [{"trees", "owners"}, {"signal_names"}],
    "recorder": [
        {"state", "gc_pauses", "compiler.contracts"},
        {"compiler.source", "compiler.rewrite"},
        {"inflight", "compiler"},
        {"dispatch", "queries", "threads"},
        {"async_receivers", "probes"},
        {"instrument"},
        # The maintainer's view of the compiled code: the compiler, fed
        # instrument's layout of a call.
        {"compiler.__main__"},
    ],
    "recording": [{"ignored", "inline_tasks", "records", "shared"}, {"base"}],
    "analysis": [
        {"reading"},
        {"advice", "across", "registry"},
        {"diagnose", "findings"},
        {"stats", "wiring"},
        {"process_state"},
    ],
    "view": [
        {"paths", "markup"},
        {"model"},
        {"tables", "across", "markup.shared"},
        {"rows", "findings"},
        {"markup.details"},
        {"markup.dispatch_rows"},
        {"render"},
    ],
    "report": [{"lines"}, {"document"}, {"tree"}, {"summaries"}, {"__init__"}],
    "toolbar": [{"stored_registry", "across_store"}, {"lifecycle"}],
    "templatetags": [{"signal_panel_markup"}],
    "management": [{"commands"}, {"commands.record_signals"}],
}


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
            # "from pkg import mod" imports the module (and pkg's
            # __init__, which holds a docstring only); "from pkg.mod import
            # name" imports pkg.mod.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            named = {t.removeprefix(root + ".") for t in submodules}
            targets = submodules if named <= known else [node.module]
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


def part_of(name: str) -> str:
    """``"recorder"`` for ``recorder.dispatch``; a top module is its own part."""
    return name.split(".")[0]


def inner_name(name: str) -> str:
    """``"compiler.source"`` for ``recorder.compiler.source``; a subpackage's
    own ``__init__`` is ``"__init__"``."""
    return name.partition(".")[2] or "__init__"


def layer_in(layers: list[set[str]], name: str, where: str) -> int:
    for level, members in enumerate(layers):
        if name in members:
            return level
    raise AssertionError(
        f"{name} is in no layer of {where}: add it in tests/test_layers.py "
        "and docs/architecture.md"
    )


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports that point up or sideways: between parts, or inside one."""
    found = []
    for name, targets in graph.items():
        part = part_of(name)
        for target in targets:
            if part_of(target) != part:
                if layer_in(PARTS, part_of(target), "PARTS") >= layer_in(
                    PARTS, part, "PARTS"
                ):
                    found.append((name, target))
            elif target == part or inner_name(target) == "__init__":
                continue  # A docstring-only __init__ (report's is its top).
            elif name != part or part in INSIDE:
                inside = INSIDE[part]
                if layer_in(inside, inner_name(target), part) >= layer_in(
                    inside, inner_name(name), part
                ):
                    found.append((name, target))
    return found


def test_no_import_cycle():
    assert cycles(import_graph(PACKAGE)) == []


def test_every_import_points_down():
    assert upward_imports(import_graph(PACKAGE)) == []


def test_every_module_has_a_layer():
    for name in module_names(PACKAGE):
        part = part_of(name)
        layer_in(PARTS, part, "PARTS")
        if part in INSIDE and name != part:
            layer_in(INSIDE[part], inner_name(name), part)


def test_subpackage_inits_hold_no_code_but_two():
    """A subpackage's ``__init__`` imports nothing of the package, so importing
    one module never loads the rest; ``report``'s and the compiler's hold
    their public function."""
    graph = import_graph(PACKAGE)
    inits = {name for name in graph if name in INSIDE or "." in name}
    inits = {n for n in inits if module_names(PACKAGE)[n].name == "__init__.py"}
    loaded = {
        n: graph[n]
        for n in inits
        if graph[n] and n not in {"report", "recorder.compiler"}
    }
    assert loaded == {}


def test_an_upward_import_is_found():
    graph = import_graph(PACKAGE)
    graph["recorder.state"] = graph["recorder.state"] | {"recording.base"}
    graph["recorder.inflight"] = graph["recorder.inflight"] | {"recorder.dispatch"}
    assert sorted(upward_imports(graph)) == [
        ("recorder.inflight", "recorder.dispatch"),  # Inside the recorder.
        ("recorder.state", "recording.base"),  # From the recorder up.
    ]


def test_at_most_12_modules_at_the_top():
    top = [path for path in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_MODULES, sorted(path.name for path in top)


def test_no_family_of_three_modules_sharing_a_prefix():
    """``view_rows``, ``view_tables``, ``view_model``...: a folder in disguise."""
    families: dict[tuple[Path, str], list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "_" in path.stem.strip("_"):
            prefix = path.stem.split("_")[0]
            families.setdefault((path.parent, prefix), []).append(path.stem)
    assert {key: names for key, names in families.items() if len(names) >= 3} == {}


def test_the_compiler_imports_nothing_else_of_the_package():
    """Its command line (``__main__``) aside, which prints what the recorder
    compiles."""
    graph = import_graph(PACKAGE)
    for name in (
        "recorder.compiler",
        "recorder.compiler.contracts",
        "recorder.compiler.source",
        "recorder.compiler.rewrite",
    ):
        assert {
            t for t in graph[name] if not t.startswith("recorder.compiler")
        } == set()


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
        ("recorder/state.py", "from signal_panel import api\n"),
        # Inside a function, two layers away.
        (
            "recorder/inflight.py",
            "def later():\n    from signal_panel.recording.base import x\n",
        ),
        # Type-checking only: an import all the same.
        (
            "recording/records.py",
            "if TYPE_CHECKING:\n    import signal_panel.analysis.stats\n",
        ),
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
    from signal_panel.recording import records

    exported = set(signal_panel.__all__)
    assert {"Recording", "Config", "record_signals"} <= exported
    public_records = {
        name
        for name, value in vars(records).items()
        if isinstance(value, type) and value.__module__ == records.__name__
    }
    assert public_records <= exported


def test_no_class_or_type_name_is_defined_twice():
    """One name, one meaning: a record's ``Group`` and the view's ``GroupRow``."""
    defined: dict[str, list[str]] = {}
    for name, path in module_names(PACKAGE).items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                defined.setdefault(node.name, []).append(name)
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id[:1].isupper()
                and not node.targets[0].id.isupper()
            ):
                defined.setdefault(node.targets[0].id, []).append(name)
    assert {name: where for name, where in defined.items() if len(where) > 1} == {}


def test_the_architecture_docs_name_every_module():
    """docs/architecture.md's tree and the package cannot drift apart."""
    docs = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    tree = docs.split("```\nsignal_panel/", 1)[1].split("```", 1)[0]
    named = set(re.findall(r"[\w.]+\.py|\w+/", tree))
    files = [p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py")]
    missing = [
        str(path)
        for path in files
        if path.name != "__init__.py"
        and (
            path.name not in named
            or any(f"{folder}/" not in named for folder in path.parts[:-1])
        )
    ]
    assert missing == []
    stale = {name for name in named if name.endswith(".py")} - {p.name for p in files}
    assert stale == set()
