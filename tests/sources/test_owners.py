"""Whose code a name is: the project's, an installed package's, Django's, the
toolbar's or Python's (``signal_panel.sources.owners``)."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest

from signal_panel.sources import owners


def test_django_and_the_toolbar_by_name():
    assert owners.owner_of("django.db.models.signals.post_save")["kind"] == "django"
    assert owners.owner_of("django.db.models.signals.post_save")["version"] == (
        metadata.version("Django")
    )
    assert owners.owner_of("debug_toolbar.toolbar.DebugToolbar")["kind"] == "toolbar"
    assert owners.owner_of("signal_panel.panel.SignalPanel")["kind"] == "toolbar"


def test_the_projects_own_modules():
    owner = owners.owner_of("tests.testapp.receivers.comment_on_new_article")
    assert owner == {"kind": "project", "distribution": None, "version": None}
    assert owners.describe_owner(owner) == "your project"


def test_an_installed_distribution_with_its_version():
    import pytest_django

    assert "site-packages" in pytest_django.__file__
    owner = owners.owner_of("pytest_django.plugin.django_db_setup")
    assert owner == {
        "kind": "package",
        "distribution": "pytest-django",
        "version": metadata.version("pytest-django"),
    }
    assert owners.describe_owner(owner) == f"pytest-django {owner['version']}"


def test_the_standard_library():
    assert owners.owner_of("json.decoder.JSONDecoder")["kind"] == "python"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("project", 0), ("package", 1), ("django", 2), ("python", 3), ("toolbar", 4)],
)
def test_rank_lists_the_project_first_and_the_toolbar_last(kind, expected):
    assert owners.rank({"kind": kind}) == expected


def test_a_module_outside_the_project_and_not_installed(tmp_path, monkeypatch):
    (tmp_path / "loose_module_for_owners.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import loose_module_for_owners  # noqa: F401

    try:
        owner = owners.owner_of("loose_module_for_owners.VALUE")
    finally:
        del sys.modules["loose_module_for_owners"]
    # Not the project's directory, no distribution: nothing says it is a
    # package, so it is not presented as someone else's code.
    assert owner["kind"] == "project"
    assert owner["distribution"] is None
