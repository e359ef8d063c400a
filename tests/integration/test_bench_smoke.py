"""The benchmark script runs end to end on tiny sizes and prints its table.

A smoke test, not a benchmark: it asserts that every row of the table is
there, never a time (docs/performance.md has the numbers).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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
    "steady, orphan",
    "steady, one_receiver",
    "steady, per_receiver",
    "post_save, 1 weak receiver",
    "post_save, 1 strong receiver",
    "trivial, 1 strong receiver",
    "strong less weak, added µs",
    "2b. Memory",
    "Thread.start, plain",
    "Thread.start, installed-idle",
    "Thread.start, recording",
    "sentry, 3 receivers",
    "per receiver, steady",
    "per receiver, detailed",
    "page rows",
    "page saves",
    "render rows",
    "render saves",
    "targets missed:",
]


def bench(*args: str, script: str = "run.py") -> str:
    """The table ``bench/SCRIPT`` prints."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_bench_quick_prints_its_table():
    table = bench("--quick")
    for row in ROWS:
        assert row in table, f"{row!r} missing from:\n{table}"
    assert "Signal unpatched" in table  # plain Django really was plain
    assert "patched by sentry_sdk only" in table


def test_bench_pytest_plugin_quick_prints_its_rows():
    table = bench("--pytest-plugin", "--quick")
    for row in (
        "disabled (-p no:signal_panel)",
        "loaded, --signals not given",
        "--signals (recording each test)",
        "off: no per-test hook",
    ):
        assert row in table, f"{row!r} missing from:\n{table}"
    # The configurations are what they say: only --signals adds per-test hooks.
    lines = table.splitlines()
    assert next(line for line in lines if "not given" in line).endswith("  none")
    assert next(line for line in lines if "each test" in line).endswith(
        "signal_panel_report"
    )


def test_bench_floor_prints_both_shapes():
    table = bench("--samples", "2", script="floor.py")
    for row in ("post_save, 1 weak receiver", "trivial, 1 strong receiver"):
        line = next(line for line in table.splitlines() if row in line)
        assert line.rstrip().endswith("x"), line
