#!/usr/bin/env python
"""What the recorder costs: per dispatch, next to Django itself and to Sentry.

    .venv/bin/python bench/run.py              # the full run (a few minutes)
    .venv/bin/python bench/run.py --quick      # tiny sizes: a smoke test only
    .venv/bin/python bench/run.py --json FILE  # also write the numbers as JSON
    .venv/bin/python bench/run.py --profile    # where an active dispatch's time goes
    .venv/bin/python bench/run.py --pytest-plugin  # the pytest plugin's cost per test

Every configuration runs in its own subprocess, so "plain Django" really is
unpatched and Sentry's patch of ``Signal._live_receivers`` never meets ours.
The subprocesses are run in interleaved rounds (plain, installed, recording,
sentry, plain, ...) so that a noisy moment of the machine hits them all alike.
Times are per ``Signal.send``; each sample is the mean of one batch of
``BATCH`` sends, and the table shows the median of the samples, their
interquartile range and the minimum. "added" is the median of a configuration
less the median of plain Django in the same run. The garbage collector stays
enabled (collected before each sample): allocations are part of the cost.

docs/performance.md explains each row and records the results.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# 30 senders x 10 sends: each batch of a fresh recording is kept in detail
# (DETAILED_PER_GROUP=10, MAX_DETAILED=500), and a batch of Sentry spans stays
# under its 1,000-span limit with 3 receivers.
SENDERS = 30
PER_SENDER = 10
BATCH = SENDERS * PER_SENDER
RECEIVER_COUNTS = (0, 1, 3)
MICRO_MODES = ("plain", "installed", "recording", "sentry")
PAGE_MODES = ("toolbar", "panel")
PAGES = ("light", "busy", "rows", "saves")

# Targets from the issue (microseconds, milliseconds, bytes).
INACTIVE_ADDED_US = 0.25
ACTIVE_ORPHAN_US = 0.5
ACTIVE_DISPATCH_US = 5.0
ACTIVE_RECEIVER_US = 1.5
PEER_FACTOR = 4.0
PAGE_RATIO = 1.3
# Issue 21: a light request (2 dispatches) costs at most 3 % more with the panel
# in place of the toolbar's SignalsPanel, and a page with the same dispatches
# but more of its own work costs the panel no more than the light one does.
LIGHT_RATIO = 1.03
LIGHT = ("light", "busy")
LIGHT_REPEATS = 8
SAME_COST_MS = 0.3
STATS_BYTES = 512 * 1024
LIGHT_STATS_BYTES = 10 * 1024
PEAK_EXTRA_BYTES = 20 * 1024 * 1024
RENDER_MS = 150.0
# Issue 16: ratios to plain Django in the same run (of minimums).
ORPHAN_RATIO = 2.0
DISPATCH_RATIO = 2.0
RECEIVER_RATIO = 1.5
# Issue 21: one receiver, post_save's arguments (weak or strong) and a
# trivial send (one sender, two keyword arguments, a strong receiver); a
# strong receiver costs no more than a weak one (within noise, µs).
POST_SAVE_RATIO = 2.0
TRIVIAL_RATIO = 2.5
STRONG_EXTRA_US = 0.05
# A page of 100,000 sends: the recording's memory must stay flat from a
# tenth of that.
MEMORY_SENDS = 100_000
# Issue 24: threads started and joined per sample of Thread.start.
THREADS_PER_SAMPLE = 20
MEMORY_GROWTH = 1.25


# Sizes -----------------------------------------------------------------------


def sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {
            "rounds": 1,
            "repeats": 3,
            "batches": 1,
            "page_repeats": 1,
            "rows": 200,
            "saves": 10,
            "memory_sends": 10_000,
        }
    return {
        "rounds": 3,
        "repeats": 60,
        "batches": 1,
        "page_repeats": 5,
        "rows": 5000,
        "saves": 200,
    }


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if len(ordered) >= 4:
        p25, _, p75 = statistics.quantiles(ordered, n=4)
    else:
        p25, p75 = ordered[0], ordered[-1]
    return {
        "median": statistics.median(ordered),
        "p25": p25,
        "p75": p75,
        "min": ordered[0],
        "n": len(ordered),
    }


# Micro-benchmark worker: one configuration per process ----------------------


def _receiver_1(sender: Any, **kwargs: Any) -> None:
    return None


def _receiver_2(sender: Any, **kwargs: Any) -> None:
    return None


def _receiver_3(sender: Any, **kwargs: Any) -> None:
    return None


def _strong_receiver(sender: Any, **kwargs: Any) -> None:
    return None


def _trivial_receiver(sender: Any, **kwargs: Any) -> int:
    return 1


class _Instance:
    """Stands in for a model instance in the keyword arguments."""


def _configure_micro(mode: str) -> None:
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["signal_panel"] if mode in ("installed", "recording") else [],
        DATABASES={},
        USE_TZ=True,
    )
    if mode == "sentry":
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
        from sentry_sdk.transport import Transport

        class NoTransport(Transport):
            """Drops every envelope: nothing is sent anywhere."""

            def capture_envelope(self, envelope: Any) -> None:
                return None

        sentry_sdk.init(
            dsn="http://key@localhost/1",
            transport=NoTransport(),
            traces_sample_rate=1.0,
            default_integrations=False,
            auto_enabling_integrations=False,
            integrations=[DjangoIntegration(signals_spans=True)],
        )
    import django

    django.setup()
    if mode in ("installed", "recording"):
        from signal_panel.toolbar import lifecycle

        lifecycle.install()  # As the toolbar panel does: request hooks too.


def _check_patching(mode: str) -> str:
    """Prove what each configuration is: plain Django must be unpatched."""
    from django.dispatch import Signal

    methods = ("send", "send_robust", "asend", "asend_robust", "_live_receivers")
    owners = {name: getattr(Signal, name).__module__ for name in methods}
    django_owned = {n for n, module in owners.items() if module.startswith("django.")}
    if mode == "plain":
        assert django_owned == set(methods), owners
        assert "signal_panel" not in sys.modules
        assert "sentry_sdk" not in sys.modules
        return "Signal unpatched"
    if mode == "sentry":
        assert owners["_live_receivers"].startswith("sentry_sdk"), owners
        assert "signal_panel" not in sys.modules
        return "Signal._live_receivers patched by sentry_sdk only"
    from signal_panel.recorder import instrument, threads

    assert instrument.is_installed()
    assert threads.is_installed()
    compiled = Signal.send.__code__.co_filename.endswith("dispatcher.py")
    how = "compiled copies of Django's methods" if compiled else "plain wrappers"
    return f"signal_panel installed: {how}; Thread.start followed"


def post_save_batch(
    signal: Any, senders: list[type], instance: object
) -> Callable[[], None]:
    """A batch of sends to ``signal`` with post_save's keyword arguments, one
    per sender of ``senders`` (a distinct class per group)."""

    def batch() -> None:
        for sender in senders:
            signal.send(
                sender=sender,
                instance=instance,
                created=True,
                update_fields=None,
                raw=False,
                using="default",
            )

    return batch


def micro_worker(mode: str, repeats: int, batches: int) -> dict[str, Any]:
    _configure_micro(mode)
    from django.dispatch import Signal

    receivers = (_receiver_1, _receiver_2, _receiver_3)
    signals = {}
    for count in RECEIVER_COUNTS:
        signal = Signal()
        for receiver in receivers[:count]:
            signal.connect(receiver)
        signals[count] = signal
    # Issue 21's shapes: post_save's with one strongly connected receiver
    # (next to the weakly connected one of "1"), and a trivial send.
    strong, trivial = Signal(), Signal()
    strong.connect(_strong_receiver, weak=False)
    trivial.connect(_trivial_receiver, weak=False)
    senders = [type(f"Sender{i}", (), {}) for i in range(SENDERS)] * PER_SENDER
    instance = _Instance()

    def batch_of(signal: Signal) -> Callable[[], None]:
        return post_save_batch(signal, senders, instance)

    def trivial_batch() -> None:
        # One sender, two keyword arguments.
        for _ in senders:
            trivial.send(sender=_Instance, a=1, b=2)

    workloads: dict[str, Callable[[], None]] = {
        **{str(count): batch_of(signal) for count, signal in signals.items()},
        "strong": batch_of(strong),
        "trivial": trivial_batch,
    }

    results: dict[str, list[float]] = {}
    context: Callable[[], contextlib.AbstractContextManager[Any]]
    if mode in ("plain", "installed"):
        cases = {"send": contextlib.nullcontext}
    elif mode == "recording":
        from signal_panel import record_signals

        # steady: one long recording, far past the caps (mostly grouped);
        # detailed: a fresh recording per batch, every dispatch kept in detail.
        cases = {"steady": None, "detailed": record_signals}  # type: ignore[dict-item]
    else:
        import sentry_sdk

        def transaction() -> contextlib.AbstractContextManager[Any]:
            return sentry_sdk.start_transaction(op="bench", name="bench")

        cases = {"sentry": transaction}

    for case, context in cases.items():  # type: ignore[assignment]
        long_lived = contextlib.ExitStack()
        if context is None:
            from signal_panel import record_signals

            long_lived.enter_context(record_signals())
            context = contextlib.nullcontext
        with long_lived:
            for count, batch in workloads.items():
                for _ in range(3):  # Warm-up (and, steady, past the caps).
                    with context():
                        batch()
                samples = []
                for _ in range(repeats):
                    gc.collect()
                    total = 0.0
                    for _ in range(batches):
                        with context():
                            start = time.perf_counter()
                            batch()
                            total += time.perf_counter() - start
                    samples.append(total / (batches * BATCH) * 1e6)
                results[f"{case}/{count}"] = samples
    if mode != "sentry":
        results["thread/start"] = _thread_samples(mode, repeats)
    return {"mode": mode, "check": _check_patching(mode), "samples": results}


def _nothing() -> None:
    pass


def _thread_samples(mode: str, repeats: int) -> list[float]:
    """µs per ``Thread.start()`` and ``join()`` of a thread that does
    nothing: plain Python, installed with nothing recording (the patched
    start reads one context variable), and inside ``record_signals()`` (the
    thread runs with the recorder's state)."""
    context: Callable[[], contextlib.AbstractContextManager[Any]]
    context = contextlib.nullcontext
    if mode == "recording":
        from signal_panel import record_signals

        context = record_signals
    samples = []
    for sample in range(repeats + 3):  # The first three warm up.
        gc.collect()
        with context():
            start = time.perf_counter()
            for _ in range(THREADS_PER_SAMPLE):
                thread = threading.Thread(target=_nothing)
                thread.start()
                thread.join()
            elapsed = time.perf_counter() - start
        if sample >= 3:
            samples.append(elapsed / THREADS_PER_SAMPLE * 1e6)
    return samples


def memory_worker(mode: str, *sends: int) -> dict[str, Any]:
    """tracemalloc's peak while one recording takes ``sends`` sends: post_save
    of 30 sender classes to one receiver, orphans, and a new sender object
    per send (past every cap: grouped, counted, folded)."""
    import tracemalloc

    _configure_micro("recording")
    from django.dispatch import Signal

    from signal_panel import record_signals

    heard, orphan = Signal(), Signal()
    heard.connect(_receiver_1)
    senders = [type(f"Sender{i}", (), {}) for i in range(SENDERS)]
    instance = _Instance()
    peaks = {}
    for count in sends:
        gc.collect()
        tracemalloc.start()
        with record_signals() as recording:
            for index in range(count):
                kind = index % 3
                if kind == 0:
                    sender: Any = senders[index % SENDERS]
                    heard.send(sender=sender, instance=instance, created=True)
                elif kind == 1:
                    orphan.send(sender=senders[index % SENDERS])
                else:
                    heard.send(sender=_Instance(), instance=instance, created=False)
        peaks[str(count)] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del recording
    return {"mode": mode, "peaks": peaks}


# Heavy-page worker: the full stack through the toolbar -----------------------


def page_worker(mode: str, repeats: int, rows: int, saves: int) -> dict[str, Any]:
    import tracemalloc

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_PANEL"] = "1" if mode == "panel" else "0"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BENCH_DB"] = os.path.join(tmp, "bench.sqlite3")
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from bench.benchapp.models import Row

        call_command("migrate", run_syncdb=True, verbosity=0)
        Row.objects.bulk_create(Row(name=f"row {i}", value=i) for i in range(rows))
        client = Client()
        urls = {
            "light": "/light/",
            "busy": "/busy/",
            "rows": "/rows/",
            "saves": f"/saves/?count={saves}",
        }
        result: dict[str, Any] = {"mode": mode, "pages": {}}
        for page, url in urls.items():
            for _ in range(2):  # Warm-up.
                _get(client, url)
            times = []
            # The light pages take a few milliseconds: more samples each.
            for _ in range(repeats * LIGHT_REPEATS if page in LIGHT else repeats):
                gc.collect()
                start = time.perf_counter()
                _get(client, url)
                times.append((time.perf_counter() - start) * 1000)
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            _get(client, url)
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
            page_result: dict[str, Any] = {
                "ms": times,
                "round_median": statistics.median(times),
                "peak_bytes": peak,
            }
            if mode == "panel":
                page_result.update(_panel_numbers(client, url, repeats))
            result["pages"][page] = page_result
    return result


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert b'id="djDebug"' in response.content, "the toolbar was not shown"
    return response


def _panel_numbers(client: Any, url: str, repeats: int) -> dict[str, Any]:
    from debug_toolbar.store import get_store, serialize

    from signal_panel.toolbar.stored_registry import with_registry
    from signal_panel.view.render import render_content

    _get(client, url)
    store = get_store()
    request_id = list(store.request_ids())[-1]
    stats = store.panel(request_id, "SignalPanel")
    assert stats.get("version"), "the panel stored no stats"
    # What the panel renders: the document with its Registry tab.
    shown = with_registry(stats, store)
    render = []
    for _ in range(max(repeats, 3)):
        start = time.perf_counter()
        html = render_content(shown)
        render.append((time.perf_counter() - start) * 1000)
    summary_ = stats["summary"]
    return {
        "stats_bytes": len(serialize(stats)),
        "render_ms": render,
        "html_bytes": len(html),
        "dispatches": summary_["dispatches"],
        "detailed": summary_["detailed"],
        "receivers": summary_["receivers"],
        "orphans": summary_["orphans"],
    }


# Profile ---------------------------------------------------------------------


def profile() -> None:
    """Where one active dispatch's time goes (3 receivers, steady state)."""
    _configure_micro("recording")
    from django.dispatch import Signal

    from signal_panel import record_signals

    signal = Signal()
    for receiver in (_receiver_1, _receiver_2, _receiver_3):
        signal.connect(receiver)
    instance = _Instance()

    def sends() -> None:
        for _ in range(20000):
            signal.send(sender=_Instance, instance=instance, created=True)

    with record_signals():
        sends()  # Past the caps.
        try:
            from pyinstrument import Profiler
        except ImportError:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(sends)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
            return
        profiler = Profiler(interval=0.0001)
        profiler.start()
        sends()
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=True))


# Orchestration ---------------------------------------------------------------


def run_worker(args: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"worker {args} failed ({completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine() -> dict[str, str]:
    import django

    info = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }
    for dist in ("django-debug-toolbar", "sentry-sdk"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            info[dist] = version(dist)
    cpu = ""
    with contextlib.suppress(Exception):
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    info["cpu"] = cpu or platform.processor() or "?"
    info["cores"] = str(os.cpu_count())
    info["load"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return info


def collect(
    size: dict[str, int], pages_too: bool = True, micro_too: bool = True
) -> dict[str, Any]:
    micro: dict[str, dict[str, list[float]]] = {mode: {} for mode in MICRO_MODES}
    checks: dict[str, str] = {}
    pages: dict[str, dict[str, dict[str, Any]]] = {mode: {} for mode in PAGE_MODES}
    for _ in range(size["rounds"]):
        for mode in MICRO_MODES if micro_too else ():
            out = run_worker(
                ["micro", mode, str(size["repeats"]), str(size["batches"])]
            )
            checks[mode] = out["check"]
            for case, samples in out["samples"].items():
                micro[mode].setdefault(case, []).extend(samples)
        for mode in PAGE_MODES if pages_too else ():
            out = run_worker(
                [
                    "page",
                    mode,
                    str(size["page_repeats"]),
                    str(size["rows"]),
                    str(size["saves"]),
                ]
            )
            for page, numbers in out["pages"].items():
                merged = pages[mode].setdefault(page, {})
                for key, value in numbers.items():
                    if isinstance(value, list):
                        merged.setdefault(key, []).extend(value)
                    else:
                        merged.setdefault(key, []).append(value)
    sends = size.get("memory_sends", MEMORY_SENDS)
    memory = (
        run_worker(["memory", "recording", str(sends // 10), str(sends)])["peaks"]
        if micro_too
        else None
    )
    return {"micro": micro, "checks": checks, "pages": pages, "memory": memory}


# The table -------------------------------------------------------------------


def _us(stat: dict[str, float]) -> str:
    median, p25, p75, least = stat["median"], stat["p25"], stat["p75"], stat["min"]
    return f"{median:6.2f} [{p25:.2f}-{p75:.2f}] {least:.2f}"


def _ms(stat: dict[str, float]) -> str:
    median, p25, p75, least = stat["median"], stat["p25"], stat["p75"], stat["min"]
    return f"{median:7.1f} [{p25:.1f}-{p75:.1f}] {least:.1f}"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def _added(base: dict[str, float], other: dict[str, float]) -> tuple[float, float]:
    """(added by medians, added by minimums)."""
    return other["median"] - base["median"], other["min"] - base["min"]


def _per_receiver(
    plain: dict[str, dict[str, float]],
    other: dict[str, dict[str, float]],
    case: str,
    key: str,
) -> float:
    """Added µs per receiver: the slope from 1 to 3 receivers, less plain's."""
    slope = (other[f"{case}/3"][key] - other[f"{case}/1"][key]) / 2
    return slope - (plain["send/3"][key] - plain["send/1"][key]) / 2


def _ratios(
    add: Callable[[str], None],
    targets: dict[str, dict[str, Any]],
    plain: dict[str, dict[str, float]],
    recording: dict[str, dict[str, float]],
) -> None:
    """Section 2's ratios to plain Django in the same run (issue 16)."""
    plain_slope = (plain["send/3"]["min"] - plain["send/1"]["min"]) / 2
    add("")
    add("   ratios to plain Django (minimums); bench/instructions.py counts the same")
    add("   cases in instructions, without the machine's noise")
    add(
        f"   {'case':<24}{'orphan':>10}{'1 receiver':>12}{'3 receivers':>13}"
        f"{'per receiver':>14}"
    )
    for case in ("steady", "detailed"):
        ratios = [
            recording[f"{case}/{count}"]["min"] / plain[f"send/{count}"]["min"]
            for count in RECEIVER_COUNTS
        ]
        slope = _per_receiver(plain, recording, case, "min") + plain_slope
        per_receiver = slope / plain_slope if plain_slope > 0 else float("inf")
        add(
            f"   {case:<24}{ratios[0]:>9.2f}x{ratios[1]:>11.2f}x{ratios[2]:>12.2f}x"
            f"{per_receiver:>13.2f}x"
        )
        if case != "steady":
            continue
        for name, ratio, target in (
            ("orphan", ratios[0], ORPHAN_RATIO),
            ("one_receiver", ratios[1], DISPATCH_RATIO),
            ("per_receiver", per_receiver, RECEIVER_RATIO),
        ):
            ok = ratio <= target
            targets[f"ratio/steady/{name}"] = {"ratio": ratio, "ok": ok}
            add(
                f"   {'':<4}steady, {name:<16}{ratio:5.2f}x  target <= {target:g}x "
                f"{_verdict(ok)}"
            )


def _shapes(
    add: Callable[[str], None],
    targets: dict[str, dict[str, Any]],
    plain: dict[str, dict[str, float]],
    recording: dict[str, dict[str, float]],
) -> None:
    """Section 2c: issue 21's shapes, as ratios to plain Django (steady)."""
    add("")
    add("2c. No fixed cost per request (issue 21): steady, ratio to plain Django")
    add(f"   {'shape':<36}{'min':>8}{'median':>9}  target (on the minimum)")
    for name, key, target in (
        ("post_save, 1 weak receiver", "1", POST_SAVE_RATIO),
        ("post_save, 1 strong receiver", "strong", POST_SAVE_RATIO),
        ("trivial, 1 strong receiver", "trivial", TRIVIAL_RATIO),
    ):
        ratios = [
            recording[f"steady/{key}"][stat] / plain[f"send/{key}"][stat]
            for stat in ("min", "median")
        ]
        ok = ratios[0] <= target
        targets[f"shape/{key}"] = {"ratio": ratios[0], "ok": ok}
        add(
            f"   {name:<36}{ratios[0]:7.2f}x{ratios[1]:8.2f}x  <= {target:g}x "
            f"{_verdict(ok)}"
        )
    # What a strong receiver adds over a weak one, beyond what it does to
    # plain Django: (recording strong - weak) - (plain strong - weak).
    extra = [
        recording["steady/strong"][stat]
        - recording["steady/1"][stat]
        - (plain["send/strong"][stat] - plain["send/1"][stat])
        for stat in ("min", "median")
    ]
    ok = extra[0] <= STRONG_EXTRA_US
    targets["shape/strong_extra"] = {"added_us": extra[0], "ok": ok}
    add(
        f"   {'strong less weak, added µs':<36}{extra[0]:8.2f}{extra[1]:9.2f}  "
        f"<= {STRONG_EXTRA_US:g} (noise) {_verdict(ok)}"
    )


def _memory(
    add: Callable[[str], None], targets: dict[str, Any], peaks: dict[str, int]
) -> None:
    """Section 2b: one recording's memory as the sends grow tenfold."""
    (few_sends, few), (many_sends, many) = sorted(
        ((int(sends), peak) for sends, peak in peaks.items())
    )
    growth = many / few if few else float("inf")
    ok = growth <= MEMORY_GROWTH and many <= PEAK_EXTRA_BYTES
    targets["memory/sends"] = {"bytes": many, "growth": growth, "ok": ok}
    add("")
    add("2b. Memory: tracemalloc's peak while one recording takes N sends")
    add("    (1 receiver x 30 senders, orphans, a new sender object per send)")
    add(
        f"   {few_sends:,} sends {few / 2**20:6.2f} MiB; {many_sends:,} sends "
        f"{many / 2**20:6.2f} MiB: x{growth:.2f}  target <= x{MEMORY_GROWTH:g} and "
        f"<= {PEAK_EXTRA_BYTES // 2**20} MiB {_verdict(ok)}"
    )


def report(data: dict[str, Any], size: dict[str, int], quick: bool) -> dict[str, Any]:
    micro = {
        mode: {case: summary(s) for case, s in cases.items()}
        for mode, cases in data["micro"].items()
    }
    targets: dict[str, dict[str, Any]] = {}
    lines: list[str] = []
    add = lines.append
    info = data["machine"]
    add("signal_panel benchmarks")
    add(
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"Django {info['django']}, django-debug-toolbar "
        f"{info.get('django-debug-toolbar', '?')}, sentry-sdk "
        f"{info.get('sentry-sdk', '?')}; load average {info['load']}"
    )
    add(
        f"sizes: {size['rounds']} rounds x {size['repeats']} samples x "
        f"{size['batches']} batch of {BATCH} sends; pages {size['rounds']} x "
        f"{size['page_repeats']} requests"
        + ("  (--quick: a smoke test, the numbers mean nothing)" if quick else "")
    )
    for mode, check in data["checks"].items():
        add(f"  {mode:<10} {check}")
    add("")
    add(
        "µs per Signal.send: median [p25-p75] min. added: median - plain's median, "
        "and min - plain's min;"
    )
    add("targets are judged on the minimums (the least disturbed samples).")
    head = (
        f"   {'case':<24}{'plain Django':<26}{'{}':<26}{'added':>7}{'(min)':>7}  target"
    )

    if not micro["plain"]:  # --pages-only
        return _pages(add, targets, data["pages"], lines, micro)
    plain = micro["plain"]
    add("")
    add("1. Inactive: installed, no recording active")
    add(head.format("installed"))
    for count in RECEIVER_COUNTS:
        base, other = plain[f"send/{count}"], micro["installed"][f"send/{count}"]
        added, added_min = _added(base, other)
        ok = added_min <= INACTIVE_ADDED_US
        targets[f"inactive/{count}"] = {"added_us": added_min, "ok": ok}
        add(
            f"   {f'inactive, {count} receivers':<24}{_us(base):<26}{_us(other):<26}"
            f"{added:7.2f}{added_min:7.2f}  <= {INACTIVE_ADDED_US} {_verdict(ok)}"
        )

    add("")
    add("2. Active: inside record_signals(), default settings")
    add(head.format("recording"))
    slopes: dict[str, float] = {}
    for case in ("steady", "detailed"):
        for count in RECEIVER_COUNTS:
            base, other = plain[f"send/{count}"], micro["recording"][f"{case}/{count}"]
            added, added_min = _added(base, other)
            budget = (
                ACTIVE_ORPHAN_US
                if count == 0
                else ACTIVE_DISPATCH_US + ACTIVE_RECEIVER_US * count
            )
            ok = added_min <= budget
            targets[f"active/{case}/{count}"] = {"added_us": added_min, "ok": ok}
            add(
                f"   {f'{case}, {count} receivers':<24}{_us(base):<26}{_us(other):<26}"
                f"{added:7.2f}{added_min:7.2f}  <= {budget:g} {_verdict(ok)}"
            )
        recording = micro["recording"]
        slope = _per_receiver(plain, recording, case, "median")
        slopes[case] = slope_min = _per_receiver(plain, recording, case, "min")
        fixed = recording[f"{case}/1"]["median"] - plain["send/1"]["median"] - slope
        fixed_min = recording[f"{case}/1"]["min"] - plain["send/1"]["min"] - slope_min
        ok_receiver = slope_min <= ACTIVE_RECEIVER_US
        ok_dispatch = fixed_min <= ACTIVE_DISPATCH_US
        targets[f"active/{case}/per_receiver"] = {
            "added_us": slope_min,
            "ok": ok_receiver,
        }
        targets[f"active/{case}/per_dispatch"] = {
            "added_us": fixed_min,
            "ok": ok_dispatch,
        }
        add(
            f"   {f'{case}, per receiver':<24}{'':<52}{slope:7.2f}{slope_min:7.2f}  "
            f"<= {ACTIVE_RECEIVER_US:g} {_verdict(ok_receiver)}"
        )
        add(
            f"   {f'{case}, per dispatch':<24}{'':<52}{fixed:7.2f}{fixed_min:7.2f}  "
            f"<= {ACTIVE_DISPATCH_US:g} {_verdict(ok_dispatch)}"
        )
    _ratios(add, targets, plain, micro["recording"])
    _shapes(add, targets, plain, micro["recording"])
    if data.get("memory"):
        _memory(add, targets, data["memory"])
    _threads(add, micro)

    add("")
    add("3. Peer: sentry-sdk's DjangoIntegration(signals_spans=True), in a transaction")
    add(head.format("sentry"))
    for count in RECEIVER_COUNTS:
        base, other = plain[f"send/{count}"], micro["sentry"][f"sentry/{count}"]
        added, added_min = _added(base, other)
        add(
            f"   {f'sentry, {count} receivers':<24}{_us(base):<26}{_us(other):<26}"
            f"{added:7.2f}{added_min:7.2f}"
        )
    sentry_slope = _per_receiver(plain, micro["sentry"], "sentry", "min")
    for case in ("steady", "detailed"):
        factor = sentry_slope / slopes[case] if slopes[case] > 0 else float("inf")
        ok = factor >= PEER_FACTOR
        targets[f"peer/{case}"] = {"factor": factor, "ok": ok}
        add(
            f"   {f'per receiver, {case}':<24}sentry {sentry_slope:.2f} µs, recorder "
            f"{slopes[case]:.2f} µs: {factor:.1f}x cheaper (target >= "
            f"{PEER_FACTOR:g}x) {_verdict(ok)}"
        )

    return _pages(add, targets, data["pages"], lines, micro)


def _threads(add: Callable[[str], None], micro: dict[str, Any]) -> None:
    """Section 2d: what ``Thread.start`` (and ``join``) costs (issue 24)."""
    base = micro["plain"].get("thread/start")
    if base is None:
        return
    add("")
    add("2d. Thread.start + join of a thread doing nothing, µs per thread")
    add(f"   {'case':<32}{'µs':<34}{'added':>8}{'(min)':>8}{'ratio':>8}")
    for label, mode in (
        ("Thread.start, plain", "plain"),
        ("Thread.start, installed-idle", "installed"),
        ("Thread.start, recording", "recording"),
    ):
        stat = micro[mode].get("thread/start")
        if stat is None:
            continue
        added, added_min = _added(base, stat)
        ratio = stat["min"] / base["min"] if base["min"] > 0 else float("inf")
        add(f"   {label:<32}{_us(stat):<34}{added:8.2f}{added_min:8.2f}{ratio:7.2f}x")


def _pages(
    add: Callable[[str], None],
    targets: dict[str, dict[str, Any]],
    pages: dict[str, Any],
    lines: list[str],
    micro: dict[str, Any],
) -> dict[str, Any]:
    """Sections 4 and 5: pages through the toolbar, and the panel's rendering."""
    if not pages["toolbar"]:
        return _finish(lines, targets, micro)
    add("")
    add(
        "4. Pages through the toolbar, its default panels without and with ours "
        "(in place of SignalsPanel): ms per request, median [p25-p75] min"
    )
    add(
        f"   {'page':<24}{'default panels':<26}{'with signal_panel':<26}{'ratio':>6}"
        f"{'stats KB':>10}{'extra MB':>10}  dispatches (detailed)"
    )
    added_ms: dict[str, float] = {}
    for page in PAGES:
        base, panel = pages["toolbar"][page], pages["panel"][page]
        base_ms, panel_ms = summary(base["ms"]), summary(panel["ms"])
        ratio = panel_ms["min"] / base_ms["min"]
        added_ms[page] = panel_ms["min"] - base_ms["min"]
        stats_bytes = max(panel["stats_bytes"])
        extra_peak = min(panel["peak_bytes"]) - min(base["peak_bytes"])
        add(
            f"   {f'page {page}':<24}{_ms(base_ms):<26}{_ms(panel_ms):<26}"
            f"{ratio:6.3f}{stats_bytes / 1024:10.1f}{extra_peak / 2**20:10.2f}  "
            f"{panel['dispatches'][-1]} ({panel['detailed'][-1]})"
        )
        rounds = [
            with_panel / without
            for without, with_panel in zip(
                base["round_median"], panel["round_median"], strict=True
            )
        ]
        add(
            f"   {'':<24}ratio of each round's medians: min {min(rounds):.3f}, "
            f"median {statistics.median(rounds):.3f}, spread "
            f"{max(rounds) - min(rounds):.3f} ({len(rounds)} rounds)"
        )
        budget = {"light": LIGHT_RATIO, "rows": PAGE_RATIO, "saves": PAGE_RATIO}
        checks = []
        if page in budget:
            ok_ratio = ratio <= budget[page]
            targets[f"page/{page}/ratio"] = {"ratio": ratio, "ok": ok_ratio}
            checks.append(f"ratio (of minimums) <= {budget[page]} {_verdict(ok_ratio)}")
        if page == "light":
            ok_small = stats_bytes <= LIGHT_STATS_BYTES
            targets["page/light/stats"] = {"bytes": stats_bytes, "ok": ok_small}
            checks.append(f"stats <= 10 KB {_verdict(ok_small)}")
        if page == "busy":
            extra = added_ms["busy"] - added_ms["light"]
            ok_same = extra <= SAME_COST_MS
            targets["page/busy/same_cost"] = {"extra_ms": extra, "ok": ok_same}
            checks.append(
                f"adds {added_ms['busy']:.2f} ms, the light page "
                f"{added_ms['light']:.2f} ms: the same within {SAME_COST_MS} ms "
                f"{_verdict(ok_same)}"
            )
        ok_size = stats_bytes < STATS_BYTES
        ok_memory = extra_peak < PEAK_EXTRA_BYTES
        targets[f"page/{page}/stats_max"] = {"bytes": stats_bytes, "ok": ok_size}
        targets[f"page/{page}/memory"] = {"bytes": extra_peak, "ok": ok_memory}
        checks.append(f"stats < 512 KB {_verdict(ok_size)}")
        checks.append(f"extra peak memory < 20 MB {_verdict(ok_memory)}")
        add(f"   {'':<24}" + ", ".join(checks))

    add("")
    add(
        "5. Panel rendering: render_content(stats) of the heavy pages, with "
        "their registry, ms"
    )
    for page in ("rows", "saves"):
        render = summary(pages["panel"][page]["render_ms"])
        ok = render["min"] <= RENDER_MS
        targets[f"render/{page}"] = {"ms": render["min"], "ok": ok}
        html_kb = max(pages["panel"][page]["html_bytes"]) / 1024
        add(
            f"   {f'render {page}':<24}{_ms(render):<26}"
            f"HTML {html_kb:.0f} KB  target <= {RENDER_MS:g} {_verdict(ok)}"
        )
    return _finish(lines, targets, micro)


def _finish(
    lines: list[str], targets: dict[str, Any], micro: dict[str, Any]
) -> dict[str, Any]:
    missed = [name for name, target in targets.items() if not target["ok"]]
    lines.append("")
    lines.append("targets missed: " + (", ".join(missed) if missed else "none"))
    print("\n".join(lines))
    return {"targets": targets, "micro": micro, "table": lines}


# The pytest plugin: what it costs per test ------------------------------------

# Sessions of trivial tests (each sends one signal to one receiver) run with
# the plugin disabled, loaded with neither option given, with --signals and
# with --signals-profile; interleaved.
PLUGIN_MODES = {
    "disabled": ["-p", "no:signal_panel"],
    "off": [],
    "on": ["--signals"],
    "profile": ["--signals-profile"],
}
PLUGIN_TESTS = """
import pytest
from django.dispatch import Signal

pinged = Signal()
pinged.connect(lambda sender, **kwargs: None, weak=False)


@pytest.mark.parametrize("n", range({count}))
def test_ping(n):
    pinged.send(sender=None, n=n)
"""
# Times the test loop; lists the plugin's hooks that would run per test.
PLUGIN_CONFTEST = """
import json
import os
import statistics
import time

import django
import pytest
from django.conf import settings

# As in a project that uses signal_panel: imported and installed in every
# configuration, so that only the pytest plugin differs between them.
settings.configure(DATABASES={}, INSTALLED_APPS=["signal_panel"])
django.setup()

PER_TEST = (
    "pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call",
    "pytest_runtest_teardown", "pytest_runtest_makereport", "pytest_runtest_logreport",
    "pytest_fixture_setup",
)
durations = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        durations.append(time.perf_counter() - start)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    result = yield
    hooks = [getattr(session.config.hook, name) for name in PER_TEST]
    with open(os.environ["BENCH_PYTEST_OUT"], "w") as out:
        json.dump({
            # The median test: a busy moment of the machine moves it little.
            "median_seconds": statistics.median(durations),
            "tests": len(durations),
            "loaded": session.config.pluginmanager.has_plugin("signal_panel"),
            "per_test_hooks": sorted({
                impl.plugin_name for hook in hooks for impl in hook.get_hookimpls()
                if "signal_panel" in impl.plugin_name
            }),
        }, out)
    return result
"""


def plugin_bench(quick: bool, rounds: int | None) -> dict[str, Any]:
    count = 200 if quick else 1000
    rounds = rounds or (1 if quick else 5)
    samples: dict[str, list[float]] = {mode: [] for mode in PLUGIN_MODES}
    checks: dict[str, dict[str, Any]] = {}
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE" and not key.startswith("PYTEST_")
    }
    # This checkout's signal_panel, whichever one is installed.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "pytest.ini").write_text("[pytest]\n")
        Path(tmp, "conftest.py").write_text(PLUGIN_CONFTEST)
        Path(tmp, "test_plugin_cost.py").write_text(
            PLUGIN_TESTS.replace("{count}", str(count))
        )
        out = Path(tmp, "out.json")
        # Without the other plugins installed for the test suite: each adds
        # its own per-test hooks, and their noise would hide a small cost.
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        for other in ("django", "asyncio", "hypothesispytest"):
            command += ["-p", f"no:{other}"]
        for _ in range(rounds):
            for mode, options in PLUGIN_MODES.items():
                completed = subprocess.run(
                    [*command, *options, "test_plugin_cost.py"],
                    cwd=tmp,
                    env={**env, "BENCH_PYTEST_OUT": str(out)},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if completed.returncode != 0:
                    sys.stderr.write(completed.stdout + completed.stderr)
                    raise SystemExit(f"pytest {mode} failed ({completed.returncode})")
                result = json.loads(out.read_text())
                assert result["tests"] == count, result
                samples[mode].append(result["median_seconds"] * 1e6)
                checks[mode] = result
    return {
        "count": count,
        "rounds": rounds,
        "quick": quick,
        "samples": samples,
        "checks": checks,
    }


def plugin_report(data: dict[str, Any]) -> dict[str, Any]:
    stats = {mode: summary(values) for mode, values in data["samples"].items()}
    base, checks = stats["disabled"], data["checks"]
    lines = [
        "6. pytest plugin: µs per test (each session's median test), median "
        f"[p25-p75] min of {data['rounds']} sessions of {data['count']} tests"
        + (
            "  (--quick: a smoke test, the numbers mean nothing)"
            if data["quick"]
            else ""
        ),
        f"   {'plugin':<36}{'per test':<32}{'added':>9}{'(min)':>9}  per-test hooks",
    ]
    labels = {
        "disabled": "disabled (-p no:signal_panel)",
        "off": "loaded, --signals not given",
        "on": "--signals (recording each test)",
        "profile": "--signals-profile (summing tests)",
    }
    for mode, label in labels.items():
        added, added_min = _added(base, stats[mode])
        hooks = ", ".join(checks[mode]["per_test_hooks"]) or "none"
        lines.append(
            f"   {label:<36}{_us(stats[mode]):<32}{added:9.2f}{added_min:9.2f}  {hooks}"
        )
    # Off: none of the plugin's hooks runs per test, and the difference
    # measured is within the spread of the disabled sessions themselves.
    noise = max(base["p75"] - base["p25"], 0.03 * base["min"])
    off_added = stats["off"]["min"] - base["min"]
    ok = (
        checks["off"]["loaded"]
        and not checks["disabled"]["loaded"]
        and not checks["off"]["per_test_hooks"]
        and off_added <= noise
    )
    lines.append(
        f"   off: no per-test hook, added (min) {off_added:.2f} µs <= noise "
        f"{noise:.2f} µs {_verdict(ok)}"
    )
    print("\n".join(lines))
    return {
        "targets": {"pytest/off": {"added_us": off_added, "ok": ok}},
        "table": lines,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    parser.add_argument("--profile", action="store_true", help="profile the hot path")
    parser.add_argument("--rounds", type=int, help="rounds of subprocesses (default 3)")
    parser.add_argument(
        "--micro-only",
        action="store_true",
        help="only sections 1-3 (per-send costs), for quick comparisons",
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="only section 4-5 (pages through the toolbar)",
    )
    parser.add_argument(
        "--pytest-plugin",
        action="store_true",
        help="only section 6: what the pytest plugin costs per test",
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, mode, *numbers = args.worker
        values = [int(n) for n in numbers]
        if kind == "micro":
            result = micro_worker(mode, *values)
        elif kind == "memory":
            result = memory_worker(mode, *values)
        else:
            result = page_worker(mode, *values)
        print(json.dumps(result))
        return
    if args.profile:
        profile()
        return
    if args.pytest_plugin:
        out = plugin_report(plugin_bench(args.quick, args.rounds))
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=1))
        return
    size = sizes(args.quick)
    if args.rounds:
        size["rounds"] = args.rounds
    load_before = " ".join(f"{value:.2f}" for value in os.getloadavg())
    data = collect(size, pages_too=not args.micro_only, micro_too=not args.pages_only)
    data["machine"] = machine()
    data["machine"]["load"] = f"{load_before} before, {data['machine']['load']} after"
    out = report(data, size, args.quick)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": data["machine"], "sizes": size, **out}, indent=1)
        )


if __name__ == "__main__":
    main()
