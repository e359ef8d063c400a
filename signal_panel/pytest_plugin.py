"""pytest integration, installed with the package (entry point ``pytest11``).

- The ``signal_recording`` fixture: every signal dispatched during a test.
- ``--signals``: record each test and add a "Captured signals" section to the
  report of a failing test, as pytest does for captured logs;
  ``--signals=all`` adds it to passing tests too (shown with ``-rA``). Off by
  default: then this module registers no per-test hook at all, so it records
  nothing and costs nothing per test.
- ``--signals-profile[=FILE.json]``: the receivers that cost the most over
  the whole session (``signal_panel.pytest_profile``), merged from
  pytest-xdist's workers; off by default, with no per-test hook either.

``pytest -p no:signal_panel`` disables the whole plugin.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from time import perf_counter
from typing import Any

import pytest
from pytest import CallInfo, Item, TestReport

from signal_panel.api import Recording, record_signals
from signal_panel.pytest_profile import SignalsProfile, TestRecorder
from signal_panel.report import format_stats

FAILED, ALL = "failed", "all"
PRINT = "-"  # --signals-profile without a file


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
    group.addoption(
        "--signals-profile",
        dest="signal_panel_profile",
        nargs="?",
        const=PRINT,
        default=None,
        metavar="FILE.json",
        help="record Django signals in each test and show the receivers that "
        "cost the most over the session; with FILE.json, also write them there.",
    )


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("signal_panel_report", None)
    if value:
        if value not in (FAILED, ALL):
            give_back(config, value)
            value = FAILED
        config.pluginmanager.register(
            CapturedSignals(config, show_passed=value == ALL), "signal_panel_report"
        )
    path = config.getoption("signal_panel_profile", None)
    if path:
        if path != PRINT and not path.endswith(".json"):
            give_back(config, path)
            path = PRINT
        config.pluginmanager.register(
            SignalsProfile(config, "" if path == PRINT else path),
            "signal_panel_profile",
        )


def give_back(config: pytest.Config, value: str) -> None:
    """ "pytest --signals tests/": argparse took the path for the option's
    value. Give it back to pytest as the first path to test."""
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.insert(0, value)
    else:
        config.args = [value]
        config.args_source = pytest.Config.ArgsSource.ARGS


class CapturedSignals(TestRecorder):
    """Records each test and adds the text to its reports.

    One recording per test (``TestRecorder``), from its first
    function-scoped fixture (or its call) to the end of its teardown: it
    encloses any recording the test's own fixtures open
    (``signal_recording``), which a recording per phase could not, since
    those outlive the setup phase. Signals of fixtures shared between tests
    (session, module or class scope, such as the test database's creation)
    are not the test's own and are left out. A report shows what was
    recorded up to the end of its phase, the phases marked.
    """

    def __init__(self, config: pytest.Config, show_passed: bool) -> None:
        super().__init__()
        self.config = config
        self.show_passed = show_passed
        self._color: bool | None = None
        self.phases: list[tuple[float, str]] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: Item, nextitem: Item | None
    ) -> Generator[None, Any, Any]:
        self.phases = []
        return (yield from super().pytest_runtest_protocol(item, nextitem))

    def phase(self, name: str) -> None:
        self.phases.append((perf_counter(), name))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: Item, call: CallInfo[None]
    ) -> Generator[None, TestReport, TestReport]:
        report = yield
        passed_call = report.when == "call" and not report.skipped
        if report.failed or (self.show_passed and passed_call):
            try:
                text = self._text()
            except Exception as exc:  # The report must never fail the run.
                text = f"signal_panel could not report: {exc!r}"
            if text:
                report.sections.append((f"Captured signals {report.when}", text))
        return report

    def _text(self) -> str:
        if self.recording is None:
            return self.failure
        stats = self.recording.to_stats()
        summary = stats["summary"]
        if not (summary["dispatches"] or summary["orphans"]):
            return ""
        origin = self.recording.origin
        markers = [((moment - origin) * 1000, phase) for moment, phase in self.phases]
        return format_stats(stats, color=self.color, markers=markers)

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
