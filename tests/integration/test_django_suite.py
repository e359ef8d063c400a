"""The hook of ``bench/django_suite.py`` records each test and reports outcomes.

Running Django's own suite takes minutes and the network (its sdist); this
smoke test runs the hook in a real child process on a two-test unittest
suite instead, and reads its files back with the driver's own functions.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import django_suite

CHILD = """
import io, runpy, sys, unittest

runpy.run_path(sys.argv[1], run_name="signal_panel_suite_hook")

import django
from django.conf import settings

settings.configure()
django.setup()

from django.dispatch import Signal

pinged = Signal()
pinged.connect(lambda sender, **named: "pong", weak=False)


class Checks(unittest.TestCase):
    def test_sends(self):
        self.assertEqual(pinged.send(sender=None)[0][1], "pong")

    def test_fails(self):
        self.fail("on purpose")


suite = unittest.defaultTestLoader.loadTestsFromTestCase(Checks)
unittest.TextTestRunner(stream=io.StringIO()).run(suite)
"""


def run_child(tmp_path: Path, mode: str, **extra_env: str) -> dict:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {
        **os.environ,
        "SIGNAL_PANEL_SUITE_MODE": mode,
        "SIGNAL_PANEL_SUITE_RESULTS": str(tmp_path),
        "SIGNAL_PANEL_SUITE_DRIVER": str(os.getpid()),
        **extra_env,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, str(script), str(django_suite.HOOK)],
        env=env,
        check=True,
        timeout=60,
    )
    result = json.loads((tmp_path / f"{mode}.result.json").read_text())
    result["processes"] = django_suite.read_process_logs(tmp_path, mode, result["pid"])
    return result


@pytest.mark.parametrize("mode", ["plain", "recorded"])
def test_hook_reports_the_failing_tests(tmp_path, mode):
    result = run_child(tmp_path, mode)

    assert result["tests_run"] == 2
    assert list(result["failures"]) == ["__main__.Checks.test_fails"]
    assert "on purpose" in result["failures"]["__main__.Checks.test_fails"]
    assert result["errors"] == {}
    assert result["processes"]["tests_by_pid"] == {"main": 2}


def test_recorded_mode_runs_each_test_inside_a_recording(tmp_path):
    processes = run_child(tmp_path, "recorded")["processes"]

    assert processes["tests_recorded"] == 2
    assert processes["sends_recorded"] == 1  # test_sends's one send
    assert processes["instrumentation"] == ["compiled"]
    assert processes["recorder_faults"] == {}


def test_recorded_mode_can_use_the_fallback_wrappers(tmp_path):
    result = run_child(
        tmp_path, "recorded", SIGNAL_PANEL_SUITE_INSTRUMENTATION="wrappers"
    )

    assert result["processes"]["instrumentation"] == ["wrappers"]
    assert result["processes"]["sends_recorded"] == 1
    assert list(result["failures"]) == ["__main__.Checks.test_fails"]


def test_plain_mode_records_nothing(tmp_path):
    processes = run_child(tmp_path, "plain")["processes"]

    assert processes["tests_recorded"] == 0
    assert processes["instrumentation"] == ["none"]


def test_compare_sorts_failures_by_mode():
    def run(*failing):
        return {
            "failing": list(failing),
            "tests_run": 3,
            "skipped": 0,
            "wall_seconds": 1.0,
            "processes": {},
        }

    summary = django_suite.compare(run("a", "b"), run("b", "c"))

    assert summary["only_recorded"] == ["c"]
    assert summary["only_plain"] == ["a"]
    assert summary["both"] == ["b"]


@pytest.mark.parametrize(
    ("test_id", "label"),
    [
        ("app.tests.Case.test_x", "app.tests.Case.test_x"),
        ("app.tests.Case.test_x (value=1)", "app.tests.Case.test_x"),
        ("setUpClass (app.tests.Case)", "app.tests.Case"),
    ],
)
def test_runnable_label(test_id, label):
    assert django_suite.runnable_label(test_id) == label
