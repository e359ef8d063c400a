#!/usr/bin/env python
"""Instructions per request through the toolbar, counted by valgrind.

    .venv/bin/python bench/page_instructions.py        # the light and busy pages
    .venv/bin/python bench/page_instructions.py --light-only

bench/run.py's section 4 times whole requests through the toolbar, with its
default panels and with signal_panel in place of its SignalsPanel; on a
shared machine a light request's few milliseconds move by more than the 3 %
the target allows. callgrind's count of executed instructions does not: each
configuration runs a worker twice under callgrind, with 0 and with
``REQUESTS`` requests after the same warm-up, and the difference over the
requests is the cost of one. Instructions are not time (a cache miss costs
many cycles and one instruction); the ratio is what the target is about,
measured without the noise.

Each page is requested two ways: through Django's test client, and straight
through Django's WSGI handler, as a server calls it. The test client
connects receivers of its own around every request (``template_rendered``,
``got_request_exception``, with a new ``dispatch_uid`` each time), so under
it the process's connections change on every request, and the panel works
their registry entries out again each time; under a server they do not.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.instructions import callgrind  # noqa: E402

REQUESTS = 100
PAGES = {"light": "/light/", "busy": "/busy/"}
MODES = {"default panels": "0", "with signal_panel": "1"}
THROUGH = {"test client": "client", "WSGI handler": "handler"}
# Issue 21: a light request costs at most 3 % more with the panel.
LIGHT_RATIO = 1.03


def worker(url: str, requests: int, through: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BENCH_DB"] = os.path.join(tmp, "bench.sqlite3")
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", run_syncdb=True, verbosity=0)
        get = Client().get if through == "client" else through_handler()
        for _ in range(20):  # Warm-up: imports, caches, the first store writes.
            get(url)
        # The heap so far out of the collector's way: a full collection walks
        # every object of the process (tens of millions of instructions), and
        # whether one falls among the counted requests or not would move a
        # configuration's count by more than the panel's cost. Collections of
        # what the requests allocate still run and are counted.
        gc.collect()
        gc.freeze()
        for _ in range(requests):
            response = get(url)
            assert b'id="djDebug"' in response.content


def through_handler() -> Any:
    """A GET through Django's WSGI handler, the response read and closed,
    as a server does (request_started and request_finished included)."""
    from types import SimpleNamespace
    from wsgiref.util import setup_testing_defaults

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def get(url: str) -> Any:
        environ: dict[str, Any] = {"PATH_INFO": url, "REMOTE_ADDR": "127.0.0.1"}
        setup_testing_defaults(environ)
        response = handler(environ, lambda status, headers, exc_info=None: None)
        try:
            content = b"".join(response)
        finally:
            response.close()
        return SimpleNamespace(content=content)

    return get


def count(url: str, panel: str, requests: int, through: str) -> int:
    return callgrind(
        [__file__, "--worker", url, str(requests), through], BENCH_PANEL=panel
    )


def per_request(url: str, panel: str, through: str) -> int:
    return (
        count(url, panel, REQUESTS, through) - count(url, panel, 0, through)
    ) // REQUESTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    parser.add_argument(
        "--light-only", action="store_true", help="only the light page (half the time)"
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2])
        return
    pages = ["light"] if args.light_only else list(PAGES)
    cases = [(way, page, mode) for way in THROUGH for page in pages for mode in MODES]
    with ThreadPoolExecutor(2) as pool:  # Counts, not times: two at once.
        counts = list(
            pool.map(
                lambda case: per_request(
                    PAGES[case[1]], MODES[case[2]], THROUGH[case[0]]
                ),
                cases,
            )
        )
    table: dict[str, dict[str, dict[str, int]]] = {}
    for (way, page, mode), value in zip(cases, counts, strict=True):
        table.setdefault(way, {}).setdefault(page, {})[mode] = value
    print("Instructions per request through the toolbar (callgrind)")
    print(f"   {'page':<24}{'default panels':>16}{'with signal_panel':>20}{'ratio':>8}")
    out: dict[str, dict[str, Any]] = {}
    for way, pages in table.items():
        out[way] = {}
        for page, row in pages.items():
            base, panel = row["default panels"], row["with signal_panel"]
            ratio = panel / base
            out[way][page] = {**row, "ratio": ratio, "added": panel - base}
            verdict = ""
            if page == "light":
                met = "ok" if ratio <= LIGHT_RATIO else "MISS"
                verdict = f"  <= {LIGHT_RATIO} {met}"
            label = f"{page}, {way}"
            print(f"   {label:<24}{base:>16,}{panel:>20,}{ratio:>8.3f}{verdict}")
        if "busy" not in out[way]:
            continue
        added = out[way]["busy"]["added"] - out[way]["light"]["added"]
        print(
            f"   {way}: the busy page (the light one's dispatches, more of the "
            f"view's own work) adds {added:+,} instructions more than the light one"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
