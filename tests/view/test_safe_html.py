"""The panel's HTML is safe by construction: no markup is made from data.

The package builds HTML with Django's template engine (autoescaping) and with
``format_html`` (every value through ``conditional_escape``). These tests read
the package's source and its templates and fail on anything that would let a
recorded value into the page as markup:

- ``mark_safe`` / ``SafeString`` on anything but a string literal;
- a ``format_html`` / ``format_html_join`` format string that is not a literal
  (or a module constant made of literals, of its module or imported from
  another module of the package), outside the two audited helpers
  that build one from ``{}`` fields and literal separators;
- a class defining ``__html__`` (``conditional_escape`` would trust it);
- ``|safe``, ``|safeseq`` or ``{% autoescape off %}`` in a template.

Each check is also run on planted code, to show that it can fail.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

import signal_panel

PACKAGE = Path(signal_panel.__file__).parent
TEMPLATES = PACKAGE.parent / "templates" / "signal_panel"

MARKING = {"mark_safe", "SafeString", "SafeText", "SafeData"}
# Where the format string is: position and keyword.
FORMATTED = {
    "format_html": (0, "format_string"),
    "format_html_join": (1, "format_string"),
    "repeat": (0, "row_format"),  # signal_panel.view.markup.shared's, called by name
}
# Where the markup separating parts is.
SEPARATED = {
    "format_html_join": (0, "sep"),
    "join": (1, "separator"),  # signal_panel.view.markup.shared's, called by name
}
# Names of the view's helpers, also the names of methods (str.join,
# itertools.repeat): only checked when called by name.
HELPERS = {"join", "repeat"}
# The two functions that build a format string at run time, audited: from
# "{}" fields and a literal separator (``join``), or from their caller's
# literal format repeated (``repeat``); their callers are checked.
AUDITED = {"view.markup.shared.join", "view.markup.shared.repeat"}
# What a call or a reference names, import aliases resolved.
Naming = Callable[[ast.AST], str]
UNSAFE_TEMPLATE = re.compile(r"\|\s*safe(seq)?\b|{%\s*autoescape\s+off\s*%}")


def problems(source: str, module: str) -> list[str]:
    """What in ``source`` could mark data as safe markup, one line each."""
    tree = ast.parse(source)
    aliases = _import_aliases(tree)

    def name_of(node: ast.AST) -> str:
        name = getattr(node, "id", getattr(node, "attr", ""))
        return aliases.get(name, name)

    found = _marking(tree, name_of) + _formats(tree, name_of, module)
    found += _trusting_classes(tree, name_of)
    return [f"{module}:{line}: {what}" for line, what in found]


def _marking(tree: ast.Module, name_of: Naming) -> list[tuple[int, str]]:
    """``mark_safe`` / ``SafeString`` of anything but a literal, or
    ``mark_safe`` passed around (a decorator, ``map(mark_safe, ...)``)."""
    found = []
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and name_of(node.func) in MARKING:
            called.add(id(node.func))
            if not _literal_argument(node):
                found.append((node.lineno, f"{name_of(node.func)}() of data"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name | ast.Attribute)
            and name_of(node) == "mark_safe"
            and id(node) not in called
        ):
            found.append((node.lineno, "mark_safe used other than on a literal"))
    return found


def _formats(tree: ast.Module, name_of: Naming, module: str) -> list[tuple[int, str]]:
    """Format strings of ``format_html`` and the like: literals only, with
    plain ``{}`` / ``{name}`` fields; separators of ``join``: literals."""
    constants = _constant_strings(tree)
    found = []
    for function, node in _calls(tree):
        name = name_of(node.func)
        method = not isinstance(node.func, ast.Name)
        if f"{module}.{function}" in AUDITED or (name in HELPERS and method):
            continue
        if name in SEPARATED:
            separator = _argument(node, *SEPARATED[name])
            if separator is not None and not _is_str(separator):
                found.append((node.lineno, f"{name}() with a separator from data"))
        if name not in FORMATTED:
            continue
        fmt = _argument(node, *FORMATTED[name])
        if fmt is None or not _constant(fmt, constants):
            found.append((node.lineno, f"{name}() with a format built at run time"))
        else:
            found.extend((node.lineno, odd) for odd in _odd_fields(fmt, constants))
    return found


def _trusting_classes(tree: ast.Module, name_of: Naming) -> list[tuple[int, str]]:
    """Classes that ``conditional_escape`` would trust: a ``__html__``, or
    Django's safe string classes as a base."""
    found = []
    for node in ast.walk(tree):
        bases = node.bases if isinstance(node, ast.ClassDef) else []
        if any(name_of(base) in MARKING for base in bases):
            found.append((node.lineno, "a safe string class"))
        defined = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if defined and node.name == "__html__":
            found.append((node.lineno, "defines __html__"))
        stored = isinstance(getattr(node, "ctx", None), ast.Store)
        if stored and name_of(node) == "__html__":
            found.append((node.lineno, "assigns __html__"))
    return found


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    """Every call, with the name of the module-level function it is in."""
    calls = []
    for top in tree.body if isinstance(tree, ast.Module) else []:
        function = getattr(top, "name", "")
        calls.extend(
            (function, node) for node in ast.walk(top) if isinstance(node, ast.Call)
        )
    return calls


def _callee(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def _import_aliases(tree: ast.AST) -> dict[str, str]:
    """``from x import mark_safe as trusted``: {"trusted": "mark_safe"}."""
    return {
        alias.asname: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname
    }


def _literal_argument(node: ast.Call) -> bool:
    if node.keywords or len(node.args) > 1:
        return False
    return not node.args or _is_str(node.args[0])


def _argument(node: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(node.args) > index and not isinstance(node.args[index], ast.Starred):
        return node.args[index]
    return next((k.value for k in node.keywords if k.arg == keyword), None)


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _constant_strings(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level names bound to strings made of literals only, and those
    imported from a module of the package that binds them so (``CHIP``)."""
    constants: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            constants.update(_imported_constants(node))
            continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and _constant(value, constants):
            constants[target.id] = value
    return constants


def _imported_constants(node: ast.ImportFrom) -> dict[str, ast.expr]:
    """What ``from signal_panel.x import NAME`` binds to literal strings."""
    root, _, rest = str(node.module).partition(".")
    path = PACKAGE.joinpath(*rest.split(".")).with_suffix(".py")
    if root != PACKAGE.name or not rest or not path.is_file():
        return {}
    theirs = _constant_strings(ast.parse(path.read_text()))
    return {
        alias.asname or alias.name: theirs[alias.name]
        for alias in node.names
        if alias.name in theirs
    }


# A translation of a literal: its msgid is in the source, and its text comes
# from the package's own catalogs, trusted as its templates'
# {% blocktranslate %} are.
TRANSLATING = {"_", "gettext", "pgettext"}


def _translated(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in TRANSLATING
        and not node.keywords
        and bool(node.args)
        and all(_is_str(argument) for argument in node.args)
    )


def _constant(node: ast.expr, constants: dict[str, ast.expr]) -> bool:
    """A literal, a constant's name, literals added up, a choice of these,
    or the translation of a literal."""
    if _is_str(node) or _translated(node):
        return True
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant(node.left, constants) and _constant(node.right, constants)
    if isinstance(node, ast.IfExp):
        return _constant(node.body, constants) and _constant(node.orelse, constants)
    return False


def _literal_values(node: ast.expr, constants: dict[str, ast.expr]) -> list[str]:
    """The format strings a constant expression can be (a translation: its
    msgid)."""
    if isinstance(node, ast.Constant):
        return [str(node.value)]
    if isinstance(node, ast.Call):
        return [str(cast(ast.Constant, node.args[-1]).value)]
    if isinstance(node, ast.Name):
        return _literal_values(constants[node.id], constants)
    if isinstance(node, ast.BinOp):
        return [
            left + right
            for left in _literal_values(node.left, constants)
            for right in _literal_values(node.right, constants)
        ]
    assert isinstance(node, ast.IfExp)
    return _literal_values(node.body, constants) + _literal_values(
        node.orelse, constants
    )


def _odd_fields(node: ast.expr, constants: dict[str, ast.expr]) -> list[str]:
    """Replacement fields other than ``{}`` / ``{name}``: no attribute or item
    lookups, conversions or format specs, which would act on escaped text."""
    odd = []
    for fmt in _literal_values(node, constants):
        for _, field, spec, conversion in string.Formatter().parse(fmt):
            if field is None:
                continue
            if spec or conversion or not (field == "" or field.isidentifier()):
                odd.append(f"replacement field {{{field}}} in {fmt[:40]!r}")
    return odd


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize(
    "path", package_modules(), ids=lambda path: str(path.relative_to(PACKAGE))
)
def test_no_markup_is_made_from_data(path):
    module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    assert problems(path.read_text(), module) == []


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=str)
def test_templates_escape_everything(path):
    assert not UNSAFE_TEMPLATE.findall(path.read_text())


def test_the_view_builds_its_markup_with_format_html():
    """The view's markup modules are what the checks above look at."""
    sources = {
        str(path.relative_to(PACKAGE)): path.read_text() for path in package_modules()
    }
    users = {name for name, source in sources.items() if "format_html(" in source}
    markup = {"dispatch_rows.py", "details.py", "shared.py"}
    assert users == {f"view/markup/{name}" for name in markup}
    assert "mark_safe(" in sources["view/markup/shared.py"]  # literal constants only


def test_only_the_dispatch_rows_are_built_in_python():
    """The rest of the page is the templates': the markup package holds the
    dispatch rows' modules and nothing else, and no other module of the
    package makes markup (``format_html``, ``mark_safe``, ``SafeString``)."""
    markup = PACKAGE / "view" / "markup"
    assert {path.name for path in markup.glob("*.py")} == {
        "__init__.py",
        "dispatch_rows.py",
        "details.py",
        "shared.py",
    }
    making = MARKING | {"format_html", "format_html_join"}
    for path in package_modules():
        if path.parent != markup:
            calls = ast.walk(ast.parse(path.read_text()))
            made = {_callee(c) for c in calls if isinstance(c, ast.Call)} & making
            assert made == set(), path


PLANTED = {
    "an f-string": 'mark_safe(f"<b>{name}</b>")',
    "a variable": "SafeString(name)",
    "a literal plus data": 'mark_safe("<b>" + name)',
    "an alias": "from django.utils.safestring import mark_safe as ok\nok(name)",
    "an attribute": "safestring.mark_safe(name)",
    "a format from data": "format_html(template, name)",
    "a format plus data": 'format_html("<b>{}</b>" + suffix, name)',
    "a format keyword": "format_html_join('', format_string=template, args=[])",
    "a joined format": 'format_html_join("", template, rows)',
    "a repeated format from data": "repeat(template, rows)",
    "an imported name that is no constant": (
        "from signal_panel.view.markup.shared import join\nformat_html(join, x)"
    ),
    "a separator from data": "join(parts, separator)",
    "a joined separator from data": 'format_html_join(sep, "{}", rows)',
    "a decorator": "@mark_safe\ndef markup():\n    return name",
    "mark_safe as a value": "map(mark_safe, names)",
    "a safe string class": "class Trusted(SafeString):\n    pass",
    "an assigned __html__": "Trusted.__html__ = str",
    "an attribute lookup": 'format_html("<b>{row.name}</b>", row=row)',
    "a conversion": 'format_html("<b>{!r}</b>", name)',
    "a translated format from data": "format_html(_(template), name)",
    "a translated format with a lookup": 'format_html(_("<b>{row.name}</b>"), row=x)',
    "another translated format": "format_html(translate('{}'), name)",
    "__html__": "class Trusted:\n    def __html__(self):\n        return self.text",
}


@pytest.mark.parametrize("source", PLANTED.values(), ids=PLANTED.keys())
def test_the_checks_find_planted_markup(source):
    assert problems(source, "planted")


ALLOWED = {
    "a literal": 'NOTHING = mark_safe("")',
    "a literal format": 'format_html("<b>{}</b>", name)',
    "a translated literal format": 'format_html(_("<b>{name}</b>"), name=x)',
    "a constant format": (
        'BOLD = "<b>" "{}"\nLINK = BOLD + "</b>"\nformat_html(LINK, x)'
    ),
    "a choice of constants": (
        'A = "<i>{}</i>"\nB = "<b>{}</b>"\nformat_html(A if x else B, x)'
    ),
    "named fields": 'format_html("<a href=\\"{url}\\">{text}</a>", url=u, text=t)',
    "a literal separator": 'join(parts, "<br>")',
    "an imported constant": (
        "from signal_panel.view.markup.shared import CHIP\nrepeat(CHIP, pairs)"
    ),
    "methods named like the helpers": "', '.join(names)\nitertools.repeat(x, 3)",
    "a type annotation": "def f() -> SafeString:\n    return NOTHING",
}


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_the_checks_allow_literal_markup(source):
    assert problems(source, "planted") == []


@pytest.mark.parametrize(
    "template",
    ["{{ value|safe }}", "{{ values|safeseq|join:',' }}", "{% autoescape off %}"],
)
def test_the_template_check_finds_planted_markup(template):
    assert UNSAFE_TEMPLATE.findall(template)
