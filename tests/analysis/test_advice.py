"""Whose code a finding is about, and the wording of whose SQL it was
(``signal_panel.analysis.advice``); on a real project:
tests/realproject/test_findings.py."""

from __future__ import annotations

from signal_panel.analysis.advice import (
    per_run,
    project_first,
    sql_per_row_fix,
    sql_split,
)

PROJECT = {"kind": "project", "distribution": None, "version": None}
PACKAGE = {"kind": "package", "distribution": "pagesearch", "version": "1.4.2"}
DJANGO = {"kind": "django", "distribution": "Django", "version": "5.2"}
TOOLBAR = {"kind": "toolbar", "distribution": "django-debug-toolbar", "version": "8"}


def test_the_projects_findings_first_the_toolbars_dropped():
    found = [
        {"title": "a", "owner": PACKAGE},
        {"title": "b", "owner": TOOLBAR},
        {"title": "c", "owner": PROJECT},
        {"title": "d", "owner": DJANGO},
        {"title": "e", "owner": None},
        {"title": "f", "owner": PACKAGE},
    ]
    assert [f["title"] for f in project_first(found)] == ["c", "e", "a", "f", "d"]


def test_whose_sql_per_run():
    assert sql_split(10, 30, 0, {}) is None
    assert sql_split(10, 30, 50, {"shop.tasks.index": 0}) == (
        "3 of its 8 queries per run are its own; 5 run in receivers of signals it sent."
    )
    assert sql_split(12, 0, 0, {"shop.tasks.index": 85}) == (
        "None of its 7.1 queries per run are its own; 7.1 run in task "
        "shop.tasks.index, which it enqueued and an immediate task backend ran "
        "inline."
    )
    assert per_run(30, 31) == "1"


def test_a_packages_fix_fits_its_signal():
    save = sql_per_row_fix(
        PACKAGE, "x.post_save", "pagesearch.index.update", ["app.Page"]
    )
    assert "bulk_create() and a queryset .update() send no post_save" in save
    assert "`post_save.disconnect(update, sender=Page)`" in save
    delete = sql_per_row_fix(PACKAGE, "x.post_delete", "p.remove", [None])
    assert "even from one queryset .delete()" in delete
    assert "`post_delete.disconnect(remove)`" in delete
    for fix in (save, delete):
        assert fix.startswith("pagesearch 1.4.2's receiver, not your code.")
        assert fix.endswith("report it upstream to pagesearch.")


def test_a_packages_receiver_gets_the_general_fix_unless_given_one():
    from asgiref import __version__

    from signal_panel.analysis.findings import finding

    made = finding(
        "reentrant_save", "t", "d", "Use .update()", receiver="asgiref.sync.f"
    )
    assert made["owner"] == {
        "kind": "package",
        "distribution": "asgiref",
        "version": __version__,
    }
    assert made["fix"].startswith(f"asgiref {__version__}'s receiver, not your code")
    assert "report it upstream to asgiref" in made["fix"]
    own = finding("reentrant_save", "t", "d", "Use .update()", receiver="shop.f")
    assert own["fix"] == "Use .update()"
    assert own["owner"]["kind"] == "project"


def test_a_receiver_connected_per_sender_is_disconnected_per_sender():
    """Django disconnects a connection only with the sender it was made for:
    one call per sender that ran it, never one without a sender."""
    fix = sql_per_row_fix(
        PACKAGE, "x.post_delete", "p.remove", ["home.HomePage", "core.Page"]
    )
    assert (
        "`post_delete.disconnect(remove, sender=HomePage)` and "
        "`post_delete.disconnect(remove, sender=Page)`"
    ) in fix
