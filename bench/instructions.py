#!/usr/bin/env python
"""Instructions per Signal.send, counted by valgrind: plain Django and recording.

    .venv/bin/python bench/instructions.py          # the table, about 2 minutes
    .venv/bin/python bench/instructions.py --json FILE

Time on a shared machine moves with its load (runs of bench/run.py a few
minutes apart differ by 10 % and more); callgrind's count of executed
instructions does not: the same code, inputs and hash seed give the same
count. Each case runs a worker twice under callgrind, with 0 and with
``BATCHES`` batches of 300 sends (12,000); the difference over the sends is the cost
of one. The same workload as bench/run.py's micro section: post_save's
keyword arguments, 30 sender classes, 0, 1 or 3 receivers; "steady" is one
long recording past the caps, "detailed" a fresh recording per batch.

Instructions are not time (a C call costs few instructions and a cache miss
many); the ratios are what bench/run.py's targets are about, measured here
without the noise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Enough sends that the few million instructions by which two runs of the
# same worker differ (addresses, and so dict probes) weigh little per send.
BATCHES = 40
SENDS = BATCHES * 300
RECEIVER_COUNTS = (0, 1, 3)
MODES = ("plain", "installed", "steady", "detailed")
SHAPES = ("1", "strong", "trivial")
# Targets (issue 16), as ratios to plain Django's instructions.
ORPHAN_RATIO = 2.0
DISPATCH_RATIO = 2.0
RECEIVER_RATIO = 1.5

WORKER = """
import gc
import sys

mode, batches, shape = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, {root!r})
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=[] if mode == "plain" else ["signal_panel"],
    DATABASES={{}},
    USE_TZ=True,
)
django.setup()
from django.dispatch import Signal


def r1(sender, **kwargs):
    return None


def r2(sender, **kwargs):
    return None


def r3(sender, **kwargs):
    return None


def trivial_receiver(sender, **kwargs):
    return 1


signal = Signal()
if shape == "strong":  # One strongly connected receiver.
    signal.connect(r1, weak=False)
elif shape == "trivial":
    signal.connect(trivial_receiver, weak=False)
else:
    for receiver in (r1, r2, r3)[:int(shape)]:
        signal.connect(receiver)


class Instance:
    pass


instance = Instance()
senders = [type(f"Sender{{i}}", (), {{}}) for i in range(30)] * 10


def batch():
    if shape == "trivial":  # One sender, two keyword arguments.
        for _ in senders:
            signal.send(sender=Instance, a=1, b=2)
        return
    for sender in senders:
        signal.send(
            sender=sender,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using="default",
        )


gc.disable()
if mode == "plain":
    for _ in range(batches):
        batch()
else:
    from signal_panel import record_signals
    from signal_panel.toolbar import lifecycle

    lifecycle.install()
    if mode == "installed":
        for _ in range(batches):
            batch()
    elif mode == "detailed":
        for _ in range(batches):
            with record_signals():
                batch()
    else:
        with record_signals():
            for _ in range(3):  # Past the caps.
                batch()
            for _ in range(batches):
                batch()
"""


# The same addresses every run, where the kernel allows it.
SETARCH = ["setarch", os.uname().machine, "-R"] if shutil.which("setarch") else []


def count(script: Path, mode: str, batches: int, receivers: int | str) -> int:
    return callgrind([str(script), mode, str(batches), str(receivers)])


def callgrind(arguments: list[str], **environ: str) -> int:
    """Instructions executed by ``python ARGUMENTS`` under callgrind, with
    a fixed hash seed and address layout, plus ``environ``."""
    env = {**os.environ, "PYTHONHASHSEED": "0", **environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [
            *SETARCH,
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            *arguments,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed, {arguments}:\n{completed.stderr}")
    return int(found[1])


def per_send(script: Path, mode: str, receivers: int | str) -> int:
    return (
        count(script, mode, BATCHES, receivers) - count(script, mode, 0, receivers)
    ) // SENDS


def measure(jobs: int, modes: tuple[str, ...] = MODES) -> dict[str, dict[int, int]]:
    script = Path(os.environ.get("TMPDIR", "/tmp")) / "signal_panel_instructions.py"
    script.write_text(WORKER.format(root=str(ROOT)))
    cases = [(mode, receivers) for mode in modes for receivers in RECEIVER_COUNTS]
    with ThreadPoolExecutor(jobs) as pool:
        counts = list(pool.map(lambda case: per_send(script, *case), cases))
    table: dict[str, dict[int, int]] = {mode: {} for mode in modes}
    for (mode, receivers), value in zip(cases, counts, strict=True):
        table[mode][receivers] = value
    return table


def shapes(jobs: int) -> dict[str, Any]:
    """Issue 21's shapes, plain and steady: post_save's arguments with one
    weak or one strong receiver, and a trivial send (one sender, two keyword
    arguments, a strong receiver returning a value)."""
    script = Path(os.environ.get("TMPDIR", "/tmp")) / "signal_panel_instructions.py"
    script.write_text(WORKER.format(root=str(ROOT)))
    cases = [(mode, shape) for mode in ("plain", "steady") for shape in SHAPES]
    with ThreadPoolExecutor(jobs) as pool:
        counts = list(pool.map(lambda case: per_send(script, *case), cases))
    table = dict(zip(cases, counts, strict=True))
    lines = ["Instructions per Signal.send (callgrind): issue 21's shapes, steady"]
    for shape in SHAPES:
        plain, steady = table["plain", shape], table["steady", shape]
        lines.append(
            f"   {shape:<10}plain {plain:>8,}  steady {steady:>8,}  "
            f"{steady / plain:4.2f}x  added {steady - plain:>7,}"
        )
    print("\n".join(lines))
    return {f"{mode}/{shape}": value for (mode, shape), value in table.items()}


def report(table: dict[str, dict[int, int]]) -> dict[str, Any]:
    plain = table["plain"]
    plain_receiver = (plain[3] - plain[1]) / 2
    lines = [
        "Instructions per Signal.send (callgrind), and ratios to plain Django",
        f"   {'case':<14}{'0 receivers':>16}{'1 receiver':>16}{'3 receivers':>16}"
        f"{'per receiver':>16}",
    ]
    targets = {}
    for mode in table:
        row = table[mode]
        receiver = (row[3] - row[1]) / 2
        cells = [f"{row[n]:>9,} {row[n] / plain[n]:4.2f}x" for n in RECEIVER_COUNTS] + [
            f"{receiver:>9,.0f} {receiver / plain_receiver:4.2f}x"
        ]
        lines.append(f"   {mode:<14}" + "".join(f"{cell:>16}" for cell in cells))
    steady = table["steady"]
    checks = {
        "orphan": (steady[0] / plain[0], ORPHAN_RATIO),
        "one receiver": (steady[1] / plain[1], DISPATCH_RATIO),
        "per receiver": ((steady[3] - steady[1]) / 2 / plain_receiver, RECEIVER_RATIO),
    }
    lines.append("")
    for name, (ratio, target) in checks.items():
        ok = ratio <= target
        targets[name] = {"ratio": round(ratio, 3), "target": target, "ok": ok}
        lines.append(
            f"   steady, {name:<14} {ratio:4.2f}x  target <= {target:g}x  "
            + ("ok" if ok else "MISS")
        )
    print("\n".join(lines))
    return {"instructions": table, "targets": targets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the numbers")
    parser.add_argument("--jobs", type=int, default=2, help="callgrind runs at once")
    parser.add_argument(
        "--steady-only",
        action="store_true",
        help="only plain Django and the steady recording (the targets), faster",
    )
    parser.add_argument(
        "--shapes",
        action="store_true",
        help="only issue 21's shapes (weak, strong, trivial), plain and steady",
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.shapes:
        out = shapes(args.jobs)
    else:
        modes = ("plain", "steady") if args.steady_only else MODES
        out = report(measure(args.jobs, modes))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
