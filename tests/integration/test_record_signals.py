"""``manage.py record_signals <command> …``: any command, recorded.

Run for real, in subprocesses: the test project's ``signal_probe`` command
(``tests/testapp/management/commands``), which sends signals, writes to
stdout three ways (``self.stdout``, ``print()``, raw bytes) and ends as told,
and the demo's ``seed_demo``. Each is run plainly and under
``record_signals``: stdout must be byte for byte the same, and so must the
exit status; the report goes to stderr, before the command's own error.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from signal_panel.analysis.stats import VERSION
from signal_panel.api import Recording
from signal_panel.report import format_stats
from tests.integration.test_demo import MANAGE, demo_env
from tests.report.test_report import tree
from tests.testapp.signals import article_published

ROOT = Path(__file__).resolve().parents[2]
TITLE = b"Signals recorded while running 'signal_probe':\n"
LAST_STDERR_LINE = b"a line on stderr\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTEST_") and key not in ("NO_COLOR", "FORCE_COLOR")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        SIGNAL_PANEL_TEST_DB=str(tmp_path / "unused.sqlite3"),
        PYTHONPATH=str(ROOT),
        TERM="xterm",
    )
    return env


def django_admin(
    env: dict[str, str], *args: str, **kwargs
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        **kwargs,
    )


def split_stderr(stderr: bytes) -> tuple[bytes, bytes, bytes]:
    """(what the probe wrote, the report, what followed it)."""
    head, _, rest = stderr.partition(LAST_STDERR_LINE)
    assert rest.startswith(TITLE), stderr.decode()
    tail_start = rest.find(b"\nCommandError:") + 1 or rest.find(b"\nTraceback") + 1
    report = rest[:tail_start] if tail_start else rest
    return head + LAST_STDERR_LINE, report, rest[len(report) :]


@pytest.mark.parametrize(
    "end, status, error",
    [
        ("ok", 0, b""),
        ("command-error", 3, b"CommandError: the probe was told to fail\n"),
        ("exit", 4, b""),
        ("exception", 1, b"ValueError: the probe broke\n"),
    ],
)
def test_the_command_keeps_its_stdout_and_exit_status(env, end, status, error):
    plain = django_admin(env, "signal_probe", "--end", end)
    recorded = django_admin(env, "record_signals", "signal_probe", "--end", end)

    assert plain.returncode == recorded.returncode == status
    assert recorded.stdout == plain.stdout
    assert b"raw bytes \x00\xff\r\nno newline at the end" in plain.stdout
    # stderr: the command's own lines, the report, then its error unchanged.
    written, report, after = split_stderr(recorded.stderr)
    assert plain.stderr.startswith(written)
    assert plain.stderr.endswith(error) and after.endswith(error)
    if end == "exception":
        assert after.startswith(b"Traceback (most recent call last):")
    else:
        assert plain.stderr == written + after
    assert b"\x1b" not in report  # A pipe, not a terminal: no colour.
    lines = report.decode().splitlines()
    assert lines[1].startswith("Signals: 2 dispatches, ")
    assert tree(report.decode()) == [
        "tests.testapp.signals.article_published  sender=None",
        "  > tests.testapp.receivers.announce  -> 'announced from a command'",
        "tests.testapp.signals.robust_signal  sender=None  [send_robust]",
        "  ! tests.testapp.receivers.fragile  ValueError: fragile receiver broke",
        "  > tests.testapp.receivers.sturdy  -> 'sturdy ok'",
    ]


def test_arguments_after_the_command_name_are_its_own(env):
    recorded = django_admin(
        env,
        "record_signals",
        "--max-detailed",
        "1",
        "signal_probe",
        "--",
        "--json",
        "x",
    )

    assert recorded.returncode == 0
    assert recorded.stdout.startswith(b"words: ['--json', 'x']\n")
    assert b"Signals: 2 dispatches (1 in detail), " in recorded.stderr


def test_usage_errors_are_the_command_own(env):
    for args in (["signal_probe", "--no-such-option"], ["no_such_command"]):
        plain = django_admin(env, *args)
        recorded = django_admin(env, "record_signals", *args)

        assert recorded.returncode == plain.returncode != 0
        assert (recorded.stdout, recorded.stderr) == (plain.stdout, plain.stderr)


def test_json_writes_the_stats_document_the_report_was_made_from(env, tmp_path):
    path = tmp_path / "signals.json"

    recorded = django_admin(env, "record_signals", "--json", str(path), "signal_probe")

    assert recorded.returncode == 0
    stats = json.loads(path.read_text())
    assert stats["version"] == VERSION
    assert [d["signal"] for d in stats["dispatches"]] == [
        "tests.testapp.signals.article_published",
        "tests.testapp.signals.robust_signal",
    ]
    _, report, _ = split_stderr(recorded.stderr)
    assert report.decode() == TITLE.decode() + format_stats(stats) + "\n"


def test_a_json_file_that_cannot_be_written_stops_before_the_command_runs(
    env, tmp_path
):
    path = tmp_path / "no such directory" / "signals.json"

    recorded = django_admin(env, "record_signals", "--json", str(path), "signal_probe")

    assert recorded.returncode == 1
    assert recorded.stdout == b""
    assert recorded.stderr.startswith(b"CommandError: --json: cannot write ")


def run_on_a_terminal(env: dict[str, str], *args: str) -> bytes:
    """stderr of the command when it is a terminal (stdout stays a pipe)."""
    main, secondary = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=secondary,
        )
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the other end is closed.
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=120) == 0
        return output
    finally:
        os.close(main)


def test_colour_on_a_terminal_unless_no_color(env):
    coloured = run_on_a_terminal(env, "record_signals", "signal_probe")
    assert b"\x1b[1mtests.testapp.signals.article_published\x1b[0m" in coloured

    for args, extra_env in (
        (["record_signals", "signal_probe"], {"NO_COLOR": "1"}),
        (["record_signals", "--no-color", "signal_probe"], {}),
    ):
        plain = run_on_a_terminal({**env, **extra_env}, *args)
        assert b"tests.testapp.signals.article_published  sender=None" in plain
        assert b"\x1b[" not in plain


def test_call_command_raises_the_command_error_after_the_report(capfd):
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="the probe was told to fail"):
        call_command(
            "record_signals",
            "signal_probe",
            "--end",
            "command-error",
            stdout=out,
            stderr=err,
        )

    assert out.getvalue() == "words: []\n"
    assert "print() to sys.stdout" in capfd.readouterr().out
    report = err.getvalue().split("a line on stderr\n", 1)[1]
    assert report.startswith("Signals recorded while running 'signal_probe':\n")
    assert "> tests.testapp.receivers.announce  -> 'announced from a command'" in report


# The demo's seed_demo -------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var_dir = tmp_path_factory.mktemp("demo-record-signals")
    subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=demo_env(var_dir),
        check=True,
        timeout=300,
    )
    return var_dir / "demo.sqlite3"


def seed_demo(
    database: Path, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess:
    """``manage.py [args…] seed_demo`` on a fresh copy of the migrated database."""
    var_dir = tmp_path / ("recorded" if args else "plain")
    var_dir.mkdir()
    shutil.copy(database, var_dir / "demo.sqlite3")
    command = [sys.executable, str(MANAGE), *args, "seed_demo"]
    return subprocess.run(
        command, cwd=ROOT, env=demo_env(var_dir), capture_output=True, timeout=300
    )


def test_seed_demo_recorded(migrated_demo, tmp_path):
    json_path = tmp_path / "seed.json"
    plain = seed_demo(migrated_demo, tmp_path)
    recorded = seed_demo(
        migrated_demo, tmp_path, "record_signals", "--json", str(json_path)
    )

    assert plain.returncode == recorded.returncode == 0
    assert recorded.stdout == plain.stdout
    assert b"Catalog: 5000 products" in recorded.stdout
    stats = json.loads(json_path.read_text())
    saves = {
        group["sender"]: group["count"]
        for group in stats["groups"]
        if group["signal"] == "django.db.models.signals.post_save"
    }
    assert saves == {
        "auth.User": 2,
        "accounts.Profile": 1,
        "shop.Order": 5,
        "staff.Employee": 2,
    }
    report = recorded.stderr.decode()
    assert report.count("django.db.models.signals.post_save  sender=shop.Order") == 5
    assert "> demo.accounts.receivers.create_profile  1 query  -> None" in report
    counted = report.split("Counted only, beyond the detail cap:\n")[1].splitlines()
    # 5000 products built: the first 10 kept in detail, and a slower one if any.
    assert re.fullmatch(
        r" +5000 +1[01] +[\d.]+ +[\d.]+  "
        r"django\.db\.models\.signals\.post_init  sender=shop\.Product",
        counted[1],
    )


@pytest.mark.parametrize(
    "fault, message",
    [
        ("__init__", "record_signals: could not record: "),
        ("to_stats", "record_signals: could not write the report: "),
    ],
)
def test_the_command_runs_on_when_the_recorder_fails(monkeypatch, fault, message):
    def broken(*args, **kwargs):
        raise RuntimeError("the recorder broke")

    monkeypatch.setattr(Recording, fault, broken)  # Forced.
    out, err = io.StringIO(), io.StringIO()

    call_command("record_signals", "signal_probe", stdout=out, stderr=err)

    assert out.getvalue() == "words: []\n"
    assert f"{message}RuntimeError('the recorder broke')" in err.getvalue()


def on_a_string_sender(sender, **kwargs):
    return "never"


def test_the_report_has_the_findings_at_the_terminal_width(monkeypatch):
    # A receiver of a plain signal connected for sender="app.Model": a finding.
    article_published.connect(on_a_string_sender, sender="testapp.Article")
    reports = {}
    try:
        for columns in ("100", "160"):
            monkeypatch.setenv("COLUMNS", columns)
            err = io.StringIO()
            call_command(
                "record_signals", "signal_probe", stdout=io.StringIO(), stderr=err
            )
            reports[columns] = err.getvalue().split(TITLE.decode(), 1)[1]
    finally:
        article_published.disconnect(on_a_string_sender, sender="testapp.Article")

    for columns, report in reports.items():
        lines = report.splitlines()
        assert lines[1] == "Findings (1):"
        assert lines[2] == (
            "  ! String sender on a plain Signal: "
            "tests.integration.test_record_signals.on_a_string_sender"
        )
        assert any(
            line.startswith("      fix: Pass the class itself") for line in lines
        )
        assert max(map(len, lines)) <= int(columns)
    assert max(map(len, reports["160"].splitlines())) > 100
