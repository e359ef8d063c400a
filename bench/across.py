"""What the "Across requests" tab costs: its content computed from the
toolbar's store full (25 requests of the benchmark's pages), and the
Signals panel's own content with and without the tab's link.

    python bench/across.py [--requests 25] [--repeats 10]

Prints milliseconds (median and min). The tab is fetched only when it is
opened: the panel's other tabs pay nothing but a button and an empty div.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(function: Callable[[], Any], repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_PANEL"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BENCH_DB"] = os.path.join(tmp, "bench.sqlite3")
        import django

        django.setup()
        from debug_toolbar import settings as dt_settings
        from debug_toolbar.store import get_store, serialize
        from debug_toolbar.toolbar import DebugToolbar
        from django.core.management import call_command
        from django.test import Client

        from bench.benchapp.models import Row
        from signal_panel.analysis.across import across
        from signal_panel.toolbar import across_store

        dt_settings.get_config()["RESULTS_CACHE_SIZE"] = args.requests
        call_command("migrate", run_syncdb=True, verbosity=0)
        Row.objects.bulk_create(Row(name=f"row {i}", value=i) for i in range(1000))
        client = Client()
        pages = ["/light/", "/busy/", "/rows/", "/saves/?count=50"]
        for number in range(args.requests):
            response = client.get(pages[number % len(pages)])
            assert b'id="djDebug"' in response.content
        store = get_store()
        ids = list(store.request_ids())
        documents = list(across_store.stored_documents())
        stored_bytes = sum(len(serialize(document)) for _, document in documents)
        last = ids[-1]

        def panel_content() -> str:
            toolbar = DebugToolbar.fetch(last, "SignalPanel")
            assert toolbar is not None
            content: str = toolbar.get_panel_by_id("SignalPanel").content
            return content

        rows = across(documents)
        measured = {
            "the tab's whole view (store reads, sums, HTML)": across_store.summary_html,
            f"  reading the {len(ids)} documents from the store": lambda: list(
                across_store.stored_documents()
            ),
            "  summing them (across.across)": lambda: across(documents),
            "the Signals panel's content, with the tab's link": panel_content,
        }
        lines = [
            f"Across requests: {len(documents)} stored documents,"
            f" {stored_bytes / 1024:.0f} KiB as JSON, {len(rows['receivers'])}"
            f" receiver rows, {len(rows['orphans'])} orphan rows;"
            f" ms, median / min of {args.repeats}"
        ]
        for label, function in measured.items():
            median, least = timed(function, args.repeats)
            lines.append(f"  {label:<52}{median:8.2f} / {least:.2f}")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
