"""Runs inside every process of a ``bench/django_suite.py`` run of Django's tests.

``django_suite.py`` puts a ``.pth`` file in its own virtualenv that executes
this file at interpreter startup when ``SIGNAL_PANEL_SUITE_MODE`` is set, so
the patches below reach the process running Django's ``runtests.py`` and
every worker of its parallel runner, however they are started (fork, spawn
or forkserver), without changing how ``runtests.py`` is invoked. It imports
neither Django nor signal_panel at startup: only when the first test runs.

In both modes it writes, for the driver:

- ``<mode>.result.json``: the outermost ``unittest.TextTestRunner.run`` of
  the process that the driver started (``runtests.py`` itself): tests run,
  and the ids and tracebacks of failures, errors and unexpected successes.
  With the parallel runner, the workers' outcomes reach this result object
  in the main process, so nothing is parsed from the output.
- ``<mode>.tests.<pid>.tsv``: one line per test run in that process: the
  test id, whether it ran inside ``record_signals()``, the sends it
  recorded, and the recorder's own failures (``Recording.failures``).

In ``recorded`` mode, ``unittest.TestCase.run`` (setUp, the test method,
tearDown and cleanups; not setUpClass or Django's fixture loading) runs
inside ``signal_panel.record_signals()``. Before the first test of a
process, ``instrument.install()`` is called with the mode given by
``SIGNAL_PANEL_SUITE_INSTRUMENTATION`` (the setting's default if unset), and
with ``SIGNAL_PANEL_SUITE_LIFECYCLE`` also ``signal_panel.toolbar.lifecycle.install()``,
so each test-client request opens its own request recording, as with the
toolbar.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import unittest
from typing import Any

MODE = os.environ.get("SIGNAL_PANEL_SUITE_MODE", "")
RESULTS = os.environ.get("SIGNAL_PANEL_SUITE_RESULTS", "")
DRIVER_PID = int(os.environ.get("SIGNAL_PANEL_SUITE_DRIVER", "0") or 0)
LIFECYCLE = os.environ.get("SIGNAL_PANEL_SUITE_LIFECYCLE") == "1"
# "auto" (the INSTRUMENTATION setting's default) or "wrappers".
INSTRUMENTATION = os.environ.get("SIGNAL_PANEL_SUITE_INSTRUMENTATION") or None
DETAIL_CHARS = 6000

_original_test_run = unittest.TestCase.run
_original_runner_run = unittest.TextTestRunner.run
_state: dict[str, Any] = {"log": None, "log_pid": None, "outer": False}


def _log_line(fields: list[str]) -> None:
    """Append one line to this process's test log (reopened after a fork)."""
    pid = os.getpid()
    if _state["log_pid"] != pid:
        path = os.path.join(RESULTS, f"{MODE}.tests.{pid}.tsv")
        _state["log"] = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        _state["log_pid"] = pid
        _state["log"].write(f"#instrumentation\t{_instrumentation()}\n")
    _state["log"].write("\t".join(fields) + "\n")


def _instrumentation() -> str:
    """How signal_panel instruments ``Signal`` in this process."""
    if MODE != "recorded":
        return "none"
    from signal_panel.recorder import instrument

    return instrument.instrumentation()


def _sends(recording: Any) -> int:
    groups: int = sum(group.count for group in recording.groups.values())
    orphans: int = sum(orphan.count for orphan in recording.orphans.values())
    return groups + orphans


def _recorded_run(self: unittest.TestCase, result: Any = None) -> Any:
    """``TestCase.run`` inside ``record_signals()``; recorder faults logged."""
    faults: list[str] = []
    recording = None
    try:
        from signal_panel import record_signals
        from signal_panel.recorder import instrument
        from signal_panel.toolbar import lifecycle

        if not _state.get("installed"):
            _state["installed"] = True
            instrument.install(INSTRUMENTATION)
            if LIFECYCLE:
                lifecycle.install()
        context = record_signals()
        recording = context.__enter__()
    except Exception:
        faults.append("entering record_signals(): " + traceback.format_exc())
        context = None
    try:
        return _original_test_run(self, result)
    finally:
        if context is not None:
            try:
                context.__exit__(*sys.exc_info())
            except Exception:
                faults.append("leaving record_signals(): " + traceback.format_exc())
        if recording is not None:
            faults.extend(recording.failures)
        _log_line(
            [
                self.id(),
                "1" if recording is not None else "0",
                str(_sends(recording) if recording is not None else 0),
                json.dumps(faults),
            ]
        )


def _plain_run(self: unittest.TestCase, result: Any = None) -> Any:
    try:
        return _original_test_run(self, result)
    finally:
        _log_line([self.id(), "0", "0", "[]"])


def _ids(pairs: list[tuple[Any, str]]) -> dict[str, str]:
    return {test.id(): text[-DETAIL_CHARS:] for test, text in pairs}


def _runner_run(self: unittest.TextTestRunner, test: Any) -> Any:
    """The main run of ``runtests.py``: its outcome, written for the driver."""
    if _state["outer"] or os.getppid() != DRIVER_PID:
        return _original_runner_run(self, test)
    _state["outer"] = True
    start = time.perf_counter()
    result = _original_runner_run(self, test)
    import django

    outcome = {
        "mode": MODE,
        "lifecycle": LIFECYCLE,
        "pid": os.getpid(),
        "argv": sys.argv,
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "seconds": round(time.perf_counter() - start, 1),
        "tests_run": result.testsRun,
        "skipped": len(result.skipped),
        "expected_failures": len(result.expectedFailures),
        "failures": _ids(result.failures),
        "errors": _ids(result.errors),
        "unexpected_successes": [t.id() for t in result.unexpectedSuccesses],
    }
    path = os.path.join(RESULTS, f"{MODE}.result.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump(outcome, file, indent=1, sort_keys=True)
    return result


def install() -> None:
    """Patch unittest, once (a venv's site-packages may be processed twice)."""
    if getattr(unittest.TestCase.run, "signal_panel_suite", False):
        return
    run = _recorded_run if MODE == "recorded" else _plain_run
    run.signal_panel_suite = True  # type: ignore[attr-defined]
    unittest.TestCase.run = run  # type: ignore[method-assign]
    unittest.TextTestRunner.run = _runner_run  # type: ignore[method-assign]


if __name__ == "signal_panel_suite_hook" and MODE in ("plain", "recorded") and RESULTS:
    install()
