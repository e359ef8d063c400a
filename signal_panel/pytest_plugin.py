"""pytest integration, installed with the package (entry point ``pytest11``).

- The ``signal_recording`` fixture: every signal dispatched during a test.
- ``--signals``: record each phase of each test (setup, call, teardown) and
  add a "Captured signals <phase>" section to the report of a failing test,
  as pytest does for captured logs. ``--signals=all`` adds it to passing
  tests too (shown with ``-rA``). Off by default: then this module registers
  no per-test hook at all, so it records nothing and costs nothing per test.

``pytest -p no:signal_panel`` disables the whole plugin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from pytest import CallInfo, Item, TestReport

from signal_panel.api import record_signals
from signal_panel.recording import Recording
from signal_panel.report import format_stats

FAILED, ALL = "failed", "all"
PHASES = ("setup", "call", "teardown")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("signal_panel", "Django signals (signal_panel)")
    group.addoption(
        "--signals",
        dest="signal_panel_report",
        nargs="?",
        const=FAILED,
        default=None,
        metavar="failed|all",
        help="record Django signals in each test and show them in the report of "
        "failing tests ('failed', the default), or of every test ('all', shown "
        "with -rA).",
    )


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("signal_panel_report", None)
    if not value:
        return
    if value not in (FAILED, ALL):
        # "pytest --signals tests/": argparse took the path for the option's
        # value. Give it back to pytest as the first path to test.
        if config.args_source == pytest.Config.ArgsSource.ARGS:
            config.args.insert(0, value)
        else:
            config.args = [value]
            config.args_source = pytest.Config.ArgsSource.ARGS
        value = FAILED
    config.pluginmanager.register(
        CapturedSignals(config, show_passed=value == ALL), "signal_panel_report"
    )


class CapturedSignals:
    """Records each test phase and adds the text to the test's reports."""

    def __init__(self, config: pytest.Config, show_passed: bool) -> None:
        self.config = config
        self.show_passed = show_passed
        self._color: bool | None = None
        # The current test's recordings and their text, by phase.
        self.recordings: dict[str, Recording] = {}
        self.texts: dict[str, str] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: Item) -> Generator[None, Any, Any]:
        return (yield from self._record("setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: Item) -> Generator[None, Any, Any]:
        return (yield from self._record("call"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(
        self, item: Item, nextitem: Item | None
    ) -> Generator[None, Any, Any]:
        return (yield from self._record("teardown"))

    def _record(self, phase: str) -> Generator[None, Any, Any]:
        if phase == "setup":
            self.recordings.clear()
            self.texts.clear()
        with contextlib.ExitStack() as stack:
            try:
                self.recordings[phase] = stack.enter_context(record_signals())
            except Exception as exc:  # e.g. Django's settings are not configured.
                self.texts[phase] = f"signal_panel could not record: {exc!r}"
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: Item, call: CallInfo[None]
    ) -> Generator[None, TestReport, TestReport]:
        report = yield
        if report.failed or (self.show_passed and not report.skipped):
            # This phase and the ones before it, as pytest shows captured logs.
            for phase in PHASES[: PHASES.index(report.when) + 1]:
                text = self._text(phase)
                if text:
                    report.sections.append((f"Captured signals {phase}", text))
        return report

    def _text(self, phase: str) -> str:
        if phase not in self.texts:
            recording = self.recordings.get(phase)
            stats = recording.to_stats() if recording is not None else {}
            summary = stats.get("summary") or {}
            empty = not (summary.get("dispatches") or summary.get("orphans"))
            self.texts[phase] = "" if empty else format_stats(stats, color=self.color)
        return self.texts[phase]

    @property
    def color(self) -> bool:
        """Colour as pytest's own output: its --color option, NO_COLOR, a terminal."""
        if self._color is None:
            try:
                self._color = self.config.get_terminal_writer().hasmarkup
            except (AssertionError, AttributeError):  # No terminal reporter.
                self._color = False
        return self._color


@pytest.fixture
def signal_recording() -> Iterator[Recording]:
    """Every signal dispatched during the test, as a ``Recording``."""
    with record_signals() as recording:
        yield recording
