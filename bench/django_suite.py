#!/usr/bin/env python3
"""Run Django's own test suite with and without signal_panel recording; report
every test whose outcome differs.

Django's tests exercise its dispatcher, model signals, the ORM, the test
client and a great deal of code that looks at what signals do. Run once
plainly and once with each test inside ``signal_panel.record_signals()``,
any test that fails only when recorded is something the recorder changed
for user code (signal_panel promises it changes nothing).

Usage (from the repository root; not part of CI, it takes minutes)::

    .venv/bin/python bench/django_suite.py            # default slice, .venv's Django
    .venv/bin/python bench/django_suite.py --all      # the whole suite (~18,000 tests)
    .venv/bin/python bench/django_suite.py dispatch signals.tests.PostSaveTests
    .venv/bin/python bench/django_suite.py --lifecycle    # + a recording per request
    .venv/bin/python bench/django_suite.py --instrumentation wrappers  # the fallback
    .venv/bin/python bench/django_suite.py --all --plain-from RESULTS  # recorded only
    .venv/bin/python bench/django_suite.py --django 6.1.3 \\
        --python ~/.pyenv/versions/3.12.1/bin/python3.12  # Django 6 needs 3.12+

What it does, cached under ``~/.cache/signal_panel/django-suite/`` (``--cache``):

1. a virtualenv per Python and Django version (``venvs/py<X>-django<Y>``)
   with that Django, this project (``-e``, without its dependencies, plus
   django-debug-toolbar) and as many of Django's test requirements
   (``tests/requirements/py3.txt``) as install here; those that do not are
   listed and their tests skip;
2. Django's sdist (``pip download --no-binary :all:``), extracted once
   (``src/django-<Y>``): its ``tests/`` directory is the suite;
3. ``runtests.py --settings test_sqlite --parallel 2 LABELS`` twice, in mode
   ``plain`` and mode ``recorded``. ``bench/django_suite_hook.py``, loaded
   by a ``.pth`` file in that venv into every process of the run (the
   parallel runner's workers included), wraps each test in
   ``record_signals()`` in recorded mode, and in both modes writes the run's
   failures and a per-process log of the tests it ran;
4. the tests that fail only when recorded are run again, alone and without
   parallelism, in both modes (``--no-confirm`` skips this) to tell a real
   difference from a flaky test.

Results go to ``results/<venv>-<labels>-<time>/`` (``--output``): both runs'
logs, ``*.result.json`` and ``summary.json``. Exit status: 0 if no test fails
only when recorded, 1 if some do, 2 if a run could not be made.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOOK = Path(__file__).resolve().parent / "django_suite_hook.py"
DEFAULT_CACHE = Path("~/.cache/signal_panel/django-suite").expanduser()
# The dispatcher, the request and test machinery that sends signals, and every
# module of Django's tests that connects receivers to model signals.
DEFAULT_LABELS = (
    "dispatch",
    "signals",
    "asgi",
    "handlers",
    "backends",
    "test_utils",
    "settings_tests",
    "m2m_signals",
    "migrate_signals",
    "delete",
    "delete_regress",
    "save_delete_hooks",
    "update_only_fields",
    "fixtures",
    "fixtures_regress",
    "proxy_models",
    "generic_relations_regress",
    "defer_regress",
    "get_or_create",
    "multiple_database",
    "serializers",
    "test_client",
    "test_client_regress",
    "transaction_hooks",
)
MODES = ("plain", "recorded")
PTH_NAME = "signal_panel_django_suite.pth"
PTH_LINE = (
    "import os; os.environ.get('SIGNAL_PANEL_SUITE_MODE') and "
    "__import__('runpy').run_path(os.environ['SIGNAL_PANEL_SUITE_HOOK'], "
    "run_name='signal_panel_suite_hook')\n"
)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    python = ask(args.python, "import platform; print(platform.python_version())")
    django = args.django or ask(args.python, "import django; print(django.__version__)")
    if not python or not django:
        print(f"{args.python}: no Django installed here; pass --django X.Y.Z")
        return 2
    cache = Path(args.cache).expanduser()
    venv = ensure_venv(cache, args.python, python, django)
    tests_dir = ensure_sources(cache, venv, django) / "tests"
    labels = select_labels(args, tests_dir)
    output = Path(args.output) if args.output else results_dir(cache, venv, args)
    output.mkdir(parents=True, exist_ok=True)
    print(f"Python {python}, Django {django}; results in {output}")
    runs: dict[str, dict[str, Any]] = {}
    if args.plain_from:
        if not reuse_plain(Path(args.plain_from), output, python, django):
            return 2
        runs["plain"] = load_run(output, "plain")
    for mode in args.modes:
        run = run_suite(venv, tests_dir, output, mode, labels, args)
        if run is None:
            return 2
        runs[mode] = run
    if len(runs) < 2:
        return 0
    summary = compare(runs["plain"], runs["recorded"])
    if summary["only_recorded"] and args.confirm:
        summary["confirmed"] = confirm(
            venv, tests_dir, output, summary["only_recorded"], args
        )
    summary.update(python=python, django=django, labels=labels or ["(all)"])
    (output / "summary.json").write_text(json.dumps(summary, indent=1))
    report(summary, runs)
    differs = summary.get("confirmed", summary["only_recorded"])
    return 1 if differs else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("labels", nargs="*", help="runtests.py test labels")
    parser.add_argument(
        "--all", action="store_true", help="the whole suite (no labels)"
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the suite's venv (default: this one)",
    )
    parser.add_argument(
        "--django", help="Django version (default: the one --python has installed)"
    )
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--settings", default="test_sqlite")
    parser.add_argument(
        "--mode",
        dest="modes",
        choices=MODES,
        action="append",
        help="run only this mode (repeatable; default: both)",
    )
    parser.add_argument(
        "--lifecycle",
        action="store_true",
        help="also install signal_panel.toolbar.lifecycle: a recording per test-client "
        "request, as with the toolbar",
    )
    parser.add_argument(
        "--instrumentation",
        choices=("auto", "wrappers"),
        default="auto",
        help="signal_panel's INSTRUMENTATION mode (wrappers: the fallback, "
        "never compiled copies)",
    )
    parser.add_argument(
        "--no-confirm",
        dest="confirm",
        action="store_false",
        help="do not run the differing tests again to confirm them",
    )
    parser.add_argument(
        "--plain-from",
        metavar="RESULTS",
        help="reuse the plain run of an earlier results directory (same "
        "Python, Django and labels): only the recorded run is made",
    )
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    parser.add_argument("--output", help="results directory")
    args = parser.parse_args(argv)
    args.modes = tuple(m for m in MODES if m in (args.modes or MODES))
    if args.plain_from:
        args.modes = ("recorded",)
    if args.all and args.labels:
        parser.error("--all runs every test: give no labels with it")
    return args


def ask(python: str, code: str) -> str:
    """What ``python -c code`` prints, or "" if it fails."""
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def pip(venv: Path, *args: str, check: bool = True) -> bool:
    command = [str(venv / "bin" / "python"), "-m", "pip", "--quiet", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode and check:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout}{done.stderr}")
    return done.returncode == 0


def ensure_venv(cache: Path, python_path: str, python: str, django: str) -> Path:
    """The suite's virtualenv for this Python and Django version, made once."""
    venv = cache / "venvs" / f"py{python}-django{django}"
    ready = venv / "ready.json"
    if not ready.exists():
        print(f"Creating {venv} (once)...")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python_path, "-m", "venv", str(venv)], check=True)
        pip(venv, "install", "--upgrade", "pip")
        pip(venv, "install", f"Django=={django}")
        # The project pins Django < 6.2: install it without resolving, then
        # its other dependencies (they accept every Django it supports).
        pip(venv, "install", "--no-deps", "-e", str(REPO))
        pip(venv, "install", *project_dependencies())
        ready.write_text(json.dumps({"django": django, "requirements": None}))
    # The same venv may serve several checkouts: use this one's signal_panel.
    own = str(REPO / "signal_panel")
    found = ask(
        str(venv / "bin" / "python"),
        "import os, signal_panel; print(os.path.dirname(signal_panel.__file__))",
    )
    if found != own:
        pip(venv, "install", "--no-deps", "-e", str(REPO))
    purelib = ask(
        str(venv / "bin" / "python"),
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    )
    (Path(purelib) / PTH_NAME).write_text(PTH_LINE)
    return venv


def project_dependencies() -> list[str]:
    """The project's dependencies other than Django, from pyproject.toml."""
    text = (REPO / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
    listed = re.findall(r'"([^"]+)"', block.group(1)) if block else []
    return [dep for dep in listed if not re.match(r"(?i)django\b(?!-)", dep)]


def ensure_sources(cache: Path, venv: Path, django: str) -> Path:
    """Django's sdist, downloaded and extracted once; its directory."""
    source = cache / "src" / f"django-{django}"
    if (source / "tests" / "runtests.py").exists():
        install_requirements(venv, source)
        return source
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    found = [p for p in sdists.iterdir() if p.name.lower() == f"django-{django}.tar.gz"]
    if not found:
        print(f"Downloading Django {django}'s sdist...")
        pip(
            venv,
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"Django=={django}",
            "-d",
            str(sdists),
        )
        found = [
            p for p in sdists.iterdir() if p.name.lower() == f"django-{django}.tar.gz"
        ]
    unpacked = cache / "src" / ".unpacking"
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(found[0]) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(unpacked, filter="data")
        else:
            archive.extractall(unpacked)
    [top] = list(unpacked.iterdir())
    top.rename(source)
    unpacked.rmdir()
    install_requirements(venv, source)
    return source


def install_requirements(venv: Path, source: Path) -> None:
    """Django's test requirements, each that installs here (once per venv)."""
    ready = venv / "ready.json"
    state = json.loads(ready.read_text())
    if state.get("requirements") is not None:
        return
    requirements = source / "tests" / "requirements" / "py3.txt"
    print(f"Installing {requirements} (once; those that fail are skipped)...")
    failed = []
    if not pip(venv, "install", "-r", str(requirements), check=False):
        for line in requirements.read_text().splitlines():
            requirement = line.split("#")[0].strip()
            if requirement and not pip(venv, "install", requirement, check=False):
                failed.append(requirement)
    state["requirements"] = {"file": str(requirements), "failed": failed}
    ready.write_text(json.dumps(state))
    if failed:
        print(f"  not installed (their tests skip): {', '.join(failed)}")


def select_labels(args: argparse.Namespace, tests_dir: Path) -> list[str]:
    if args.all:
        return []
    if args.labels:
        return list(args.labels)
    labels = [label for label in DEFAULT_LABELS if (tests_dir / label).is_dir()]
    missing = sorted(set(DEFAULT_LABELS) - set(labels))
    if missing:
        print(f"Not in this Django's tests: {', '.join(missing)}")
    return labels


def results_dir(cache: Path, venv: Path, args: argparse.Namespace) -> Path:
    if args.all:
        what = "all"
    elif args.labels:
        what = "labels"
    else:
        what = "default"
    if args.lifecycle:
        what += "-lifecycle"
    if args.instrumentation != "auto":
        what += f"-{args.instrumentation}"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return cache / "results" / f"{venv.name}-{what}-{stamp}"


def run_suite(
    venv: Path,
    tests_dir: Path,
    output: Path,
    mode: str,
    labels: list[str],
    args: argparse.Namespace,
    parallel: int | None = None,
) -> dict[str, Any] | None:
    """Run runtests.py in ``mode``; its result, with the per-process logs."""
    for stale in output.glob(f"{mode}.*"):
        stale.unlink()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")
    }
    env.update(
        SIGNAL_PANEL_SUITE_MODE=mode,
        SIGNAL_PANEL_SUITE_HOOK=str(HOOK),
        SIGNAL_PANEL_SUITE_RESULTS=str(output),
        SIGNAL_PANEL_SUITE_DRIVER=str(os.getpid()),
        SIGNAL_PANEL_SUITE_LIFECYCLE="1" if args.lifecycle else "0",
        SIGNAL_PANEL_SUITE_INSTRUMENTATION=args.instrumentation,
    )
    processes = args.parallel if parallel is None else parallel
    command = [
        str(venv / "bin" / "python"),
        "runtests.py",
        "--settings",
        args.settings,
        "--parallel",
        str(processes),
        "--noinput",
        *labels,
    ]
    log = output / f"{mode}.log"
    print(f"[{mode}] {' '.join(command[1:])}  (log: {log})", flush=True)
    start = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(
            command, cwd=tests_dir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    seconds = time.perf_counter() - start
    (output / f"{mode}.seconds").write_text(f"{seconds:.1f}")
    if not (output / f"{mode}.result.json").exists():
        tail = log.read_text(errors="replace")[-3000:]
        print(f"[{mode}] runtests.py exited {done.returncode}, no result:\n{tail}")
        return None
    return load_run(output, mode)


def load_run(output: Path, mode: str) -> dict[str, Any]:
    """A finished run's result, with its per-process logs, from ``output``."""
    result: dict[str, Any] = json.loads((output / f"{mode}.result.json").read_text())
    result["wall_seconds"] = float((output / f"{mode}.seconds").read_text())
    result["processes"] = read_process_logs(output, mode, result["pid"])
    result["failing"] = sorted(
        {*result["failures"], *result["errors"], *result["unexpected_successes"]}
    )
    print(
        f"[{mode}] {result['tests_run']} tests, {len(result['failing'])} failing,"
        f" {result['wall_seconds']:.0f} s",
        flush=True,
    )
    return result


def reuse_plain(source: Path, output: Path, python: str, django: str) -> bool:
    """Copy the plain run of an earlier results directory into ``output``.

    A plain run never imports signal_panel: after a change to the recorder,
    only the recorded run needs running again."""
    result = json.loads((source / "plain.result.json").read_text())
    if (result["python"], result["django"]) != (python, django):
        print(f"{source}: a plain run of {result['python']}/{result['django']}")
        return False
    for path in source.glob("plain.*"):
        shutil.copy2(path, output / path.name)
    print(f"[plain] reused from {source}")
    return True


def read_process_logs(output: Path, mode: str, main_pid: int) -> dict[str, Any]:
    """Which processes ran tests, how many inside a recording, recorder faults."""
    workers: dict[int, int] = {}
    recorded = sends = 0
    faults: dict[str, list[str]] = {}
    instrumentation = set()
    for path in output.glob(f"{mode}.tests.*.tsv"):
        pid = int(path.name.split(".")[2])
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if fields[0] == "#instrumentation":
                instrumentation.add(fields[1])
                continue
            test_id, in_recording, sent, test_faults = fields
            workers[pid] = workers.get(pid, 0) + 1
            recorded += in_recording == "1"
            sends += int(sent)
            if json.loads(test_faults):
                faults[test_id] = json.loads(test_faults)
    return {
        "tests_by_pid": {
            ("main" if pid == main_pid else str(pid)): count
            for pid, count in sorted(workers.items())
        },
        "tests_logged": sum(workers.values()),
        "tests_recorded": recorded,
        "sends_recorded": sends,
        "recorder_faults": faults,
        "instrumentation": sorted(instrumentation),
    }


def compare(plain: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    plain_failing, recorded_failing = set(plain["failing"]), set(recorded["failing"])
    return {
        "only_recorded": sorted(recorded_failing - plain_failing),
        "only_plain": sorted(plain_failing - recorded_failing),
        "both": sorted(plain_failing & recorded_failing),
        "runs": {
            mode: {
                key: run[key]
                for key in ("tests_run", "skipped", "wall_seconds", "processes")
            }
            | {"failing": len(run["failing"])}
            for mode, run in (("plain", plain), ("recorded", recorded))
        },
    }


def runnable_label(test_id: str) -> str:
    """The runtests.py label that runs ``test_id``: a subtest's test method,
    the class of a ``setUpClass (module.Class)`` error."""
    holder = re.fullmatch(r"\w+ \(([\w.]+)\)", test_id)
    if holder:
        return holder.group(1)
    return test_id.split(" ", 1)[0]


def confirm(
    venv: Path,
    tests_dir: Path,
    output: Path,
    only_recorded: list[str],
    args: argparse.Namespace,
) -> list[str]:
    """Run the differing tests again, alone; those that still differ."""
    labels = sorted({runnable_label(test_id) for test_id in only_recorded})
    print(f"Confirming {len(labels)} differing test(s), without parallelism...")
    again = output / "confirm"
    again.mkdir(exist_ok=True)
    runs = {
        mode: run_suite(venv, tests_dir, again, mode, labels, args, parallel=1)
        for mode in MODES
    }
    if runs["plain"] is None or runs["recorded"] is None:
        return only_recorded
    still = compare(runs["plain"], runs["recorded"])["only_recorded"]
    return [test_id for test_id in only_recorded if test_id in still]


def report(summary: dict[str, Any], runs: dict[str, dict[str, Any]]) -> None:
    print()
    print(f"Python {summary['python']}, Django {summary['django']}")
    for mode, run in summary["runs"].items():
        processes = run["processes"]
        print(
            f"  {mode:8} {run['tests_run']:6} tests  {run['failing']:4} failing"
            f"  {run['skipped']:5} skipped  {run['wall_seconds']:7.1f} s"
            f"  tests by process {processes['tests_by_pid']}"
        )
    recorded = summary["runs"]["recorded"]["processes"]
    print(
        f"  recorded: {recorded['tests_recorded']} of "
        f"{recorded['tests_logged']} tests ran inside record_signals() "
        f"({recorded['sends_recorded']} sends recorded;"
        f" instrumentation: {', '.join(recorded['instrumentation']) or '-'})"
    )
    for test_id, faults in sorted(recorded["recorder_faults"].items()):
        print(f"  RECORDER FAULT in {test_id}: {faults[0].splitlines()[-1]}")
    details = {
        **runs["recorded"]["failures"],
        **runs["recorded"]["errors"],
    }
    print(f"\nFail only when recorded: {len(summary['only_recorded'])}")
    confirmed = summary.get("confirmed")
    for test_id in summary["only_recorded"]:
        if confirmed is None:
            state = ""
        elif test_id in confirmed:
            state = " (confirmed alone)"
        else:
            state = " (NOT confirmed alone: flaky?)"
        last = details.get(test_id, "").strip().splitlines()[-1:] or [""]
        print(f"  {test_id}{state}\n      {last[0][:200]}")
    print(f"Fail only without recording: {len(summary['only_plain'])}")
    for test_id in summary["only_plain"]:
        print(f"  {test_id}")
    print(f"Fail in both: {len(summary['both'])}")
    for test_id in summary["both"]:
        print(f"  {test_id}")


if __name__ == "__main__":
    sys.exit(main())
