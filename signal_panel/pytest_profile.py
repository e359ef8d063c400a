"""``pytest --signals-profile[=FILE.json]``: the signal receivers that cost
the most over a whole test session.

Each test is recorded as ``--signals`` records it (``TestRecorder``: from
its first function-scoped fixture to the end of its teardown); its document
is folded into ``across.Totals`` and dropped. At the end of the session a
section of the terminal summary lists the costliest receivers, and
``FILE.json`` gets them all (``docs/stats-format.md``, "The session
profile"). Under pytest-xdist each worker sends its totals to the
controller (``workeroutput``), which merges them: each test runs on one
worker, so the merged totals are those of a run without xdist.

A recorder failure never changes a test's outcome: that test is left out
and the profile says how many were.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pytest import Item

from signal_panel.analysis.across import Totals
from signal_panel.api import Recording, record_signals

OUTPUT_KEY = "signal_panel_profile"
FORMAT = "signal_panel.profile"
SHOWN = 15  # receivers in the terminal's section


class TestRecorder:
    """One recording per test, from its first function-scoped fixture (or
    its call) to the end of its teardown; ``finished`` gets it after."""

    __test__ = False  # Not a test class, for pytest's collection.

    def __init__(self) -> None:
        self.stack: contextlib.ExitStack | None = None
        self.recording: Recording | None = None
        self.failure = ""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: Item, nextitem: Item | None
    ) -> Generator[None, Any, Any]:
        self.recording, self.failure = None, ""
        try:
            with contextlib.ExitStack() as self.stack:
                try:
                    return (yield)
                finally:
                    self.stack = None
        finally:
            self.finished(item)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function":
            self.start()
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: Item) -> Generator[None, Any, Any]:
        self.phase("setup")
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: Item) -> Generator[None, Any, Any]:
        self.start()
        self.phase("call")
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(
        self, item: Item, nextitem: Item | None
    ) -> Generator[None, Any, Any]:
        self.start()
        self.phase("teardown")
        return (yield)

    def phase(self, name: str) -> None:
        """The test's ``name`` phase (setup, call, teardown) begins."""

    def start(self) -> None:
        if self.recording is not None or self.failure or self.stack is None:
            return
        try:
            self.recording = self.stack.enter_context(record_signals())
        except Exception as exc:  # The test runs on, unrecorded.
            self.failure = f"signal_panel could not record: {exc!r}"

    def finished(self, item: Item) -> None:
        """The test's protocol is over and its recording closed."""


class SignalsProfile(TestRecorder):
    """Every test's receivers, summed; reported once, by the controller."""

    def __init__(self, config: pytest.Config, path: str) -> None:
        super().__init__()
        self.config = config
        self.path = path
        self.totals = Totals()
        self.unrecorded = 0

    def finished(self, item: Item) -> None:
        try:
            if self.recording is None:
                raise RuntimeError(self.failure or "not recorded")
            self.totals.add(item.nodeid, self.recording.to_stats())
        except Exception:  # Left out of the profile; the test is not touched.
            self.unrecorded += 1
        self.recording = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # An xdist worker: to the controller.
            workeroutput[OUTPUT_KEY] = json.dumps(
                {"totals": self.totals.to_json(), "unrecorded": self.unrecorded}
            )
        elif self.path:
            Path(self.path).write_text(json.dumps(self.profile(), indent=1) + "\n")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker finished; add its totals."""
        data = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
        if data:
            received = json.loads(data)
            self.totals.merge(received.get("totals"))
            self.unrecorded += int(received.get("unrecorded") or 0)

    def profile(self) -> dict[str, Any]:
        """The session's profile as JSON (``docs/stats-format.md``)."""
        summary = self.totals.summary()
        return {
            "format": FORMAT,
            "version": 1,
            "tests": summary["documents"],
            "unrecorded": self.unrecorded,
            "receivers": [
                {
                    "signal": row["signal"],
                    "receiver": row["receiver"],
                    "owner": row["owner"],
                    "calls": row["calls"],
                    "tests": row["sources"],
                    "total_ms": row["total_ms"],
                    "mean_ms": row["mean_ms"],
                    "max_ms": row["max_ms"],
                    "queries": row["queries"],
                    "nested_queries": row["nested_queries"],
                    "task_queries": row["task_queries"],
                    "errors": row["errors"],
                    "errors_exact": row["errors_exact"],
                    "top_tests": [
                        {"test": test, "calls": calls, "total_ms": total}
                        for calls, total, test in row["top"]
                    ],
                }
                for row in summary["receivers"]
            ],
            "orphans": [
                {
                    "signal": orphan["signal"],
                    "sender": orphan["sender"],
                    "count": orphan["count"],
                    "tests": orphan["sources"],
                }
                for orphan in summary["orphans"]
            ],
        }

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput"):
            return
        writer = terminalreporter
        writer.write_sep("=", "signal receivers: the costliest over the session")
        for line in profile_lines(self.profile(), SHOWN):
            writer.write_line(line)
        if self.path:
            writer.write_line(f"signal profile written to {self.path}")


def profile_lines(profile: dict[str, Any], shown: int) -> list[str]:
    """The terminal's section: the ``shown`` costliest receivers, each with
    the tests that called it most."""
    receivers = profile["receivers"]
    lines = [
        f"{profile['tests']} tests recorded"
        + (f", {profile['unrecorded']} not recorded" if profile["unrecorded"] else "")
        + f"; {len(receivers)} receivers ran"
        + (f", the {shown} costliest:" if len(receivers) > shown else ":")
    ]
    if not receivers:
        return lines
    lines.append(
        f"{'total ms':>10} {'calls':>8} {'mean ms':>9} {'queries':>8} {'tests':>6}"
        "  receiver (signal)"
    )
    for row in receivers[:shown]:
        lines.append(
            f"{row['total_ms']:>10.3f} {row['calls']:>8} {row['mean_ms']:>9.3f}"
            f" {row['queries']:>8} {row['tests']:>6}"
            f"  {row['receiver']} ({row['signal'].rsplit('.', 1)[-1]})"
        )
        most = ", ".join(f"{t['test']} ({t['calls']})" for t in row["top_tests"])
        lines.append(f"{'':>45}most calls: {most}")
    return lines
