"""The supported version matrix, one nox session per combination.

    nox -l                                   # list the sessions
    nox -s "tests(3.10-dj5.2-ddt7.0)"       # the oldest combination
    nox -s "tests(3.13-dj6.1-ddt8.0)"       # the newest
    nox -s tests -- tests/recorder/test_semantics.py -x   # every session, pytest args

Python 3.10-3.13 x Django 5.2 / 6.0 / 6.1 (Django 6 needs Python 3.12+) x
django-debug-toolbar 7 and 8. Each session installs the project with its
test extras and the pinned Django and toolbar in one resolve, then runs
pytest (extra arguments go to pytest). The real-server tests need the Debian
packages postgresql and redis-server, the browser tests chromium (see
tests/run.sh). docs/compatibility.md records what was run and how it went.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
DJANGOS = {
    "5.2": "Django>=5.2,<6.0",
    "6.0": "Django>=6.0,<6.1",
    "6.1": "Django>=6.1,<6.2",
}
# 7.0 is the oldest toolbar the project supports (pyproject: >=7.0); 8.0 the
# newest it knows.
TOOLBARS = {
    "7.0": "django-debug-toolbar>=7.0,<7.1",
    "8.0": "django-debug-toolbar>=8.0,<9",
}


FIXTURE_PACKAGE = "./tests/fixture_packages/pagesearch"


def interpreter(version: str) -> str:
    """A pyenv-installed interpreter if there is one (pyenv's shims only run
    the versions selected globally), else the version for nox to find."""
    found = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    return str(found[-1]) if found else version


def supported(python: str, django: str) -> bool:
    """Django 6.x requires Python 3.12 or later."""
    return django == "5.2" or tuple(map(int, python.split("."))) >= (3, 12)


MATRIX = [
    nox.param(
        interpreter(python), django, toolbar, id=f"{python}-dj{django}-ddt{toolbar}"
    )
    for python in PYTHONS
    for django in DJANGOS
    for toolbar in TOOLBARS
    if supported(python, django)
]


@nox.session
@nox.parametrize(("python", "django", "toolbar"), MATRIX)
def tests(session: nox.Session, django: str, toolbar: str) -> None:
    session.install("-e", ".[test]", DJANGOS[django], TOOLBARS[toolbar])
    # The real-project fixture's installed distribution (tests/realproject):
    # non-editable, so its files live under site-packages as a dependency's do.
    session.install("--no-deps", "--force-reinstall", FIXTURE_PACKAGE)
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)
    session.run("python", "-m", "pytest", *session.posargs)
