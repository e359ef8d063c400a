"""Request metrics: a receiver at each end of every request.

``request_started`` is sent before any middleware runs and
``request_finished`` after the response has been sent and closed, so the
toolbar's own middleware sees neither; signal_panel records both. Each
receiver here stands in for a metrics client that talks to a collector over
the network, which costs a few milliseconds per call.
"""

import threading
import time
from typing import Any

# What a round trip to a metrics collector might cost, in seconds.
COLLECTOR_LATENCY = 0.003

_lock = threading.Lock()
_counters = {"started": 0, "finished": 0}


def count_request(sender: Any, **kwargs: Any) -> None:
    """``request_started``: count the request (and pay the collector's latency)."""
    with _lock:
        _counters["started"] += 1
    time.sleep(COLLECTOR_LATENCY)


def flush_metrics(sender: Any, **kwargs: Any) -> None:
    """``request_finished``: count the request as done and flush the counters."""
    with _lock:
        _counters["finished"] += 1
    time.sleep(COLLECTOR_LATENCY)


def snapshot() -> dict[str, int]:
    """The counters so far, for this process."""
    with _lock:
        return dict(_counters)
