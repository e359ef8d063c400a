#!/usr/bin/env python
"""The floor of the hot path: the least a recorder does per send, in Python.

    .venv/bin/python bench/floor.py        # about 30 seconds

Issue 21 asks a one-receiver send, recorded, to cost at most 2x plain
Django's (post_save's six keyword arguments, a weakly connected receiver)
and 2.5x on a trivial send. This measures what any Python recorder that
answers "which receivers ran, how long each took, per group of identical
dispatches" must add at the least, written inline in one copy of Django's
``send`` with nothing else: no call into another function, no numbering,
nesting, detail, orphan bookkeeping by sender, ignore lists, collector
pauses, SQL attribution or faults kept. It is not a recorder: it shows how
much of the targets' room such a floor leaves for everything else the panel
records (see docs/performance.md, "Issue 21: the hot path's floor").

Plain Django (a Signal subclass whose ``send`` is Django's own function,
kept before ``signal_panel`` compiles its copies), the floor, and
``signal_panel`` recording (one long ``record_signals()`` past its caps, as
bench/run.py's "steady") run in one process, interleaved, 300 sends per
sample; the table shows each one's minimum in µs per send and its ratio to
plain Django's.
"""

from __future__ import annotations

import argparse
import gc
import sys
import timeit
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from django.dispatch.dispatcher import NO_RECEIVERS  # noqa: E402

from bench.run import post_save_batch  # noqa: E402

SAMPLES = 200

_current: ContextVar[Any] = ContextVar("floor_current", default=None)
# (id(signal), id(sender), *ids of the receivers) -> [count, total, slowest,
# per-receiver totals, per-receiver runs]; (id(signal), id(sender)) -> count.
groups: dict[tuple[int, ...], list[Any]] = {}
orphans: dict[tuple[int, int], int] = {}


def floor_send(self: Any, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
    """Django 5.2's ``Signal.send`` (sync receivers), recording the least."""
    if not self.receivers or self.sender_receivers_cache.get(sender) is NO_RECEIVERS:
        orphan = (id(self), id(sender))
        orphans[orphan] = orphans.get(orphan, 0) + 1
        return []
    token = _current.set(self)  # Nested sends find their parent (isolation).
    start = perf_counter()
    connected = self.receivers[:]  # The connections as they were.
    responses = []
    sync_receivers, _ = self._live_receivers(sender)
    times = []
    for receiver in sync_receivers:
        began = perf_counter()
        response = receiver(signal=self, sender=sender, **named)
        times.append(perf_counter() - began)
        responses.append((receiver, response))
    duration = perf_counter() - start
    _current.reset(token)
    key = (id(self), id(sender), *map(id, sync_receivers))
    group = groups.get(key)
    if group is None:
        group = groups[key] = [0, 0.0, 0.0, [0.0] * len(times), [0] * len(times)]
    group[0] += 1
    group[1] += duration
    if duration > group[2]:
        group[2] = duration
    totals, runs = group[3], group[4]
    for index, seconds in enumerate(times):
        totals[index] += seconds
        runs[index] += 1
    del connected
    return responses


def weak_receiver(sender: Any, **kwargs: Any) -> None:
    return None


def trivial_receiver(sender: Any, **kwargs: Any) -> int:
    return 1


def batches(send_class: type) -> dict[str, Callable[[], None]]:
    """One batch of 300 sends per shape, to a fresh signal of ``send_class``."""
    post_save, trivial = send_class(), send_class()
    post_save.connect(weak_receiver)
    trivial.connect(trivial_receiver, weak=False)
    instance = object()
    senders = [type(f"Sender{index}", (), {}) for index in range(30)] * 10

    def trivial_batch() -> None:
        for _ in senders:
            trivial.send(sender=object, a=1, b=2)

    return {
        "post_save, 1 weak receiver": post_save_batch(post_save, senders, instance),
        "trivial, 1 strong receiver": trivial_batch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--samples", type=int, default=SAMPLES, help="samples of 300 sends each"
    )
    args = parser.parse_args()
    import django
    from django.conf import settings
    from django.dispatch import Signal

    # Django's own send, before signal_panel compiles its copy.
    plain_class = type("PlainSignal", (Signal,), {"send": Signal.send})
    floor_class = type("FloorSignal", (Signal,), {"send": floor_send})
    settings.configure(INSTALLED_APPS=["signal_panel"], DATABASES={}, USE_TZ=True)
    django.setup()
    from signal_panel import record_signals

    kinds = {
        "plain": batches(plain_class),
        "floor": batches(floor_class),
        "recording": batches(Signal),
    }
    print(f"The hot path's floor: µs per send (minimum of {args.samples} x 300)")
    print(f"   {'shape':<30}{'plain':>8}{'floor':>14}{'recording':>14}")
    with record_signals():
        for shape in kinds["plain"]:
            for batch in kinds["recording"][shape], kinds["recording"][shape]:
                batch()  # Past the caps: the steady state.
            samples: dict[str, list[float]] = {kind: [] for kind in kinds}
            for _ in range(args.samples):
                for kind, shapes in kinds.items():
                    gc.collect()
                    seconds = timeit.timeit(shapes[shape], number=1)
                    samples[kind].append(seconds / 300 * 1e6)
            low = min(samples["plain"])
            cells = [
                f"{min(samples[kind]):>7.2f} {min(samples[kind]) / low:4.2f}x"
                for kind in ("floor", "recording")
            ]
            print(f"   {shape:<30}{low:>8.2f}" + "".join(f"{c:>14}" for c in cells))


if __name__ == "__main__":
    main()
