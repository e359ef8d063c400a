"""The benchmark script runs end to end on tiny sizes and prints its table.

A smoke test, not a benchmark: it asserts that every row of the table is
there, never a time (docs/performance.md has the numbers).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    "inactive, 0 receivers",
    "inactive, 1 receivers",
    "inactive, 3 receivers",
    "steady, 0 receivers",
    "steady, 3 receivers",
    "steady, per receiver",
    "detailed, 0 receivers",
    "detailed, 3 receivers",
    "detailed, per receiver",
    "sentry, 3 receivers",
    "per receiver, steady",
    "per receiver, detailed",
    "page rows",
    "page saves",
    "render rows",
    "render saves",
    "targets missed:",
]


def test_bench_quick_prints_its_table():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    table = completed.stdout
    for row in ROWS:
        assert row in table, f"{row!r} missing from:\n{table}"
    assert "Signal unpatched" in table  # plain Django really was plain
    assert "patched by sentry_sdk only" in table


def test_bench_pytest_plugin_quick_prints_its_rows():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--pytest-plugin", "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    table = completed.stdout
    for row in (
        "disabled (-p no:signal_panel)",
        "loaded, --signals not given",
        "--signals (recording every phase)",
        "off: no per-test hook",
    ):
        assert row in table, f"{row!r} missing from:\n{table}"
    # The configurations are what they say: only --signals adds per-test hooks.
    lines = table.splitlines()
    assert next(line for line in lines if "not given" in line).endswith("  none")
    assert next(line for line in lines if "every phase" in line).endswith(
        "signal_panel_report"
    )
