"""``pytest --signals-profile``: the receivers that cost the most over a
whole session, in the terminal and as JSON, the same with pytest-xdist.

Each test here runs a real pytest session in a subprocess (``pytester``)
with pytest-django's database fixtures and this project's test settings.
"""

import json

import pytest

from tests.integration.test_pytest_plugin import make_project, run

COMMENT = "tests.testapp.receivers.comment_on_new_article"
SLOW = "test_project.slow_listener"

TESTS = """
import time

import pytest
from django.dispatch import Signal

from tests.testapp.models import Article

ticked = Signal()


def slow_listener(sender, **kwargs):
    time.sleep(0.02)


ticked.connect(slow_listener, weak=False)


@pytest.mark.parametrize("articles", [5, 4, 3, 1])
def test_creates_articles(db, articles):
    for n in range(articles):
        Article.objects.create(title=f"a{n}")


def test_ticks_and_fails(db):
    ticked.send(sender=None)
    Article.objects.create(title="one more")
    assert False


def test_ticks_twice():
    ticked.send(sender=None)
    ticked.send(sender=None)


def test_quiet():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    return make_project(pytester, monkeypatch, TESTS)


def receiver(profile: dict, name: str) -> dict:
    (found,) = [row for row in profile["receivers"] if row["receiver"] == name]
    return found


def test_the_session_profile_ranks_receivers(project):
    plain = run(project)
    result = run(project, "--signals-profile")

    plain.assert_outcomes(failed=1, passed=6)
    result.assert_outcomes(failed=1, passed=6)
    result.stdout.fnmatch_lines(
        [
            "*= signal receivers: the costliest over the session =*",
            "7 tests recorded; * receivers ran*",
            "  total ms    calls   mean ms  queries  tests  receiver (signal)",
            f"* 3 * 0 * 2  {SLOW} (ticked)",
            "* most calls: test_project.py::test_ticks_twice (2),"
            " test_project.py::test_ticks_and_fails (1)",
            f"* 14 * 14 * 5  {COMMENT} (post_save)",
        ]
    )
    # The three tests that called it most ("[" is no pattern here).
    assert (
        "most calls: test_project.py::test_creates_articles[5] (5),"
        " test_project.py::test_creates_articles[4] (4),"
        " test_project.py::test_creates_articles[3] (3)"
    ) in result.stdout.str()
    assert "signal receivers" not in plain.stdout.str()


def test_the_profile_as_json(project):
    result = run(project, "--signals-profile=profile.json", "-q")

    result.assert_outcomes(failed=1, passed=6)
    profile = json.loads((project.path / "profile.json").read_text())
    assert profile["format"] == "signal_panel.profile"
    assert profile["version"] == 1
    assert (profile["tests"], profile["unrecorded"]) == (7, 0)
    assert profile["receivers"][0]["receiver"] == SLOW
    comment = receiver(profile, COMMENT)
    assert comment["signal"] == "django.db.models.signals.post_save"
    assert comment["owner"]["kind"] == "project"
    assert (comment["calls"], comment["tests"], comment["queries"]) == (14, 5, 14)
    assert [(t["test"], t["calls"]) for t in comment["top_tests"]] == [
        ("test_project.py::test_creates_articles[5]", 5),
        ("test_project.py::test_creates_articles[4]", 4),
        ("test_project.py::test_creates_articles[3]", 3),
    ]
    assert comment["mean_ms"] == pytest.approx(
        comment["total_ms"] / comment["calls"], abs=1e-3
    )
    keys = set(profile["receivers"][0])
    assert {"total_ms", "max_ms", "nested_queries", "errors", "errors_exact"} <= keys
    assert "profile.json" in result.stdout.str()


def counts(profile: dict) -> dict:
    """Everything but the times, which differ from run to run."""
    return {
        (row["signal"], row["receiver"]): (
            row["calls"],
            row["tests"],
            row["queries"],
            row["nested_queries"],
            row["errors"],
            [(t["test"], t["calls"]) for t in row["top_tests"]],
        )
        for row in profile["receivers"]
    } | {
        (o["signal"], o["sender"]): (o["count"], o["tests"]) for o in profile["orphans"]
    }


def test_xdist_workers_profiles_merge_into_the_same_totals(project):
    alone = run(project, "--signals-profile=alone.json")
    spread = run(project, "-p", "xdist", "-n", "2", "--signals-profile=spread.json")

    alone.assert_outcomes(failed=1, passed=6)
    spread.assert_outcomes(failed=1, passed=6)
    one = json.loads((project.path / "alone.json").read_text())
    two = json.loads((project.path / "spread.json").read_text())
    assert two["tests"] == one["tests"] == 7
    assert counts(two) == counts(one)
    assert receiver(two, COMMENT)["calls"] == 14
    # The section is printed once, by the controller.
    assert spread.stdout.str().count("signal receivers: the costliest") == 1


def test_a_path_after_the_option_is_a_path_to_test(project):
    result = run(project, "--signals-profile", "test_project.py")
    result.assert_outcomes(failed=1, passed=6)
    assert "signal receivers: the costliest over the session" in result.stdout.str()
