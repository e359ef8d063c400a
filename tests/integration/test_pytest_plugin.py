"""``pytest --signals``: the signals a failing test sent, in its report.

Each test here runs a real pytest session in a subprocess (``pytester``) on
a small test file that uses pytest-django's ``db`` and ``client`` fixtures
with this project's test settings.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
import pytest

from tests.testapp.models import Article
from tests.testapp.signals import article_published


@pytest.fixture
def article(db):
    return Article.objects.create(title="made in setup")


def test_fails_after_saving(article):
    article_published.send(sender=None, title="in the call")
    assert article.title == "something else"


def test_passes_with_the_client(client, db):
    client.get("/custom/?marker=quiet")


def test_the_fixture_still_records(signal_recording):
    article_published.send(sender=None, title="for the fixture")
    assert signal_recording.signal_names() == [
        "tests.testapp.signals.article_published"
    ]
"""


def make_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tests: str
) -> pytest.Pytester:
    """A project whose ``test_project.py`` is ``tests``, with this
    project's test settings and pytest-django."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")
    monkeypatch.delenv("SIGNAL_PANEL_TEST_DB", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_project=tests)
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    return make_project(pytester, monkeypatch, TESTS)


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


def sections(output: str) -> list[str]:
    return [
        line.strip("- ")
        for line in output.splitlines()
        if line.startswith("-") and "Captured signals" in line
    ]


def test_a_failing_test_gets_the_signals_it_sent(project):
    result = run(project, "--signals", "-rA")

    result.assert_outcomes(failed=1, passed=2)
    output = result.stdout.str()
    # Only the failing test's report has them, as pytest's captured logs.
    assert sections(output) == ["Captured signals call"]
    result.stdout.fnmatch_lines(
        [
            "*_ test_fails_after_saving _*",
            "*- Captured signals call -*",
            "Signals: 3 dispatches, *",
            "start ms  took ms",
            "*-- setup --",
            "*  django.db.models.signals.post_save  sender=testapp.Article  created=*",
            "*    > tests.testapp.receivers.comment_on_new_article  1 query (+1 *",
            "*      django.db.models.signals.post_save  sender=testapp.Comment*",
            "*-- call --",
            "*  tests.testapp.signals.article_published  sender=None",
            "*    > tests.testapp.receivers.announce  -> 'announced in the call'",
            "Sent with no receivers:",
        ]
    )
    # The test database was created in this test's setup, by a session
    # fixture: its signals belong to no one test.
    assert "post_migrate" not in output
    assert "\x1b[" not in output  # Not a terminal: no colour.


def test_all_shows_them_for_passing_tests_too(project):
    result = run(project, "--signals=all", "-rA")

    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_passes_with_the_client _*",
            "*- Captured signals call -*",
            "*-- call --",
            "*  django.core.signals.request_started  sender=*",
            "*  tests.testapp.signals.article_published  sender='views.custom_signal'",
            "*    > tests.testapp.receivers.announce  -> 'announced quiet'",
            "*  django.core.signals.request_finished  sender=*",
            "*_ test_the_fixture_still_records _*",
            "*- Captured signals call -*",
            "*    > tests.testapp.receivers.announce  -> 'announced for the fixture'",
        ]
    )


def test_colour_follows_pytest_own_colour_option(project):
    result = run(project, "--signals", "--color=yes")

    assert "\x1b[1mdjango.db.models.signals.post_save\x1b[0m" in result.stdout.str()


def test_off_by_default_no_hook_runs_per_test(project):
    project.makepyfile(
        test_hooks="""
        PER_TEST = (
            "pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call",
            "pytest_runtest_teardown", "pytest_runtest_makereport",
            "pytest_fixture_setup",
        )

        def test_no_signal_panel_hook_per_test(request):
            hooks = [getattr(request.config.hook, name) for name in PER_TEST]
            plugins = {impl.plugin_name for h in hooks for impl in h.get_hookimpls()}
            assert request.config.pluginmanager.has_plugin("signal_panel")
            assert not [name for name in plugins if "signal_panel" in name]
        """
    )

    result = run(project, "-rA")

    result.assert_outcomes(failed=1, passed=3)
    assert "Captured signals" not in result.stdout.str()


def test_the_plugin_can_be_disabled_entirely(project):
    result = run(project, "-p", "no:signal_panel")
    result.assert_outcomes(failed=1, passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'signal_recording' not found*"])

    result = run(project, "-p", "no:signal_panel", "--signals")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --signals*"])


def test_a_path_right_after_the_option_is_still_tested(project):
    project.makepyfile(
        test_other="""
        from tests.testapp.signals import article_published

        def test_other():
            article_published.send(sender=None, title="other")
            assert False
        """
    )

    result = run(project, "--signals", "test_other.py")

    result.assert_outcomes(failed=1)  # test_project.py was not collected.
    result.stdout.fnmatch_lines(
        ["*- Captured signals call -*", "*> tests.testapp.receivers.announce  -> *"]
    )


@pytest.mark.parametrize(
    "fault, message",
    [
        (
            "__init__",
            "signal_panel could not record: RuntimeError('the recorder broke')",
        ),
        (
            "to_stats",
            "signal_panel could not report: RuntimeError('the recorder broke')",
        ),
    ],
)
def test_a_test_is_unaffected_when_the_recorder_fails(
    project, monkeypatch, fault, message
):
    # Forced: a recording cannot start, or cannot be read.
    monkeypatch.setenv("SIGNAL_PANEL_FAULT", fault)
    project.makeconftest(
        """
        import os

        from signal_panel.api import Recording

        def broken(*args, **kwargs):
            raise RuntimeError("the recorder broke")

        setattr(Recording, os.environ["SIGNAL_PANEL_FAULT"], broken)
        """
    )

    result = run(project, "--signals", "-k", "fails")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert 'made in setup' == 'something else'",
            "*- Captured signals call -*",
            message,
        ]
    )


FINDING = """
from tests.testapp.signals import article_published


def on_a_string_sender(sender, **kwargs):
    return "never"


# Still connected when the report is made: a finding.
article_published.connect(on_a_string_sender, sender="testapp.Article")


def test_fails_with_a_finding():
    article_published.send(sender=None, title="in the call")
    assert False
"""


def test_findings_are_reported_at_the_terminal_width(project, monkeypatch):
    project.makepyfile(test_finding=FINDING)
    reports = {}
    for columns in ("100", "160"):
        monkeypatch.setenv("COLUMNS", columns)
        result = run(project, "--signals", "test_finding.py")
        result.assert_outcomes(failed=1)
        output = result.stdout.str()
        start = output.index("- Captured signals call -")
        reports[columns] = output[start:].splitlines()[1:]
    narrow, wide = reports["100"], reports["160"]

    assert narrow[1:3] == [
        "Findings (1):",
        "  ! String sender on a plain Signal: test_finding.on_a_string_sender",
    ]
    assert narrow[3].startswith("      test_finding.on_a_string_sender is connected")
    assert any(line.startswith("      fix: ") for line in narrow)
    report = narrow[1 : narrow.index("start ms  took ms")]
    assert max(len(line) for line in report) <= 100
    wide_report = wide[1 : wide.index("start ms  took ms")]
    assert 100 < max(len(line) for line in wide_report) <= 160
    # Wrapped between words: the same text either way.
    assert " ".join(" ".join(report).split()) == " ".join(" ".join(wide_report).split())
