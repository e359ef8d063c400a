"""URLs of the site the browser tests serve: the demo's, plus a streamed
response whose end the test decides.

``/stream/<token>/`` sends its first line, then waits until
``/stream/<token>/release/`` is requested (or ``HOLD_TIMEOUT`` passes), then
sends its last line. ``runserver`` serves each request in its own thread, so
the release arrives while the stream is held open: the response is not
closed, so ``request_finished`` is not sent, until the test says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path

from demo.urls import urlpatterns as demo_urlpatterns

# Not a delay: how long a stream waits for its release before ending anyway,
# so that a failed test leaves no thread waiting forever.
HOLD_TIMEOUT = 60.0

_releases: dict[str, threading.Event] = {}
_lock = threading.Lock()


def _release_of(token: str) -> threading.Event:
    with _lock:
        return _releases.setdefault(token, threading.Event())


def held_stream(request: HttpRequest, token: str) -> StreamingHttpResponse:
    release = _release_of(token)

    def lines() -> Iterator[str]:
        yield "first line\n"
        release.wait(HOLD_TIMEOUT)
        yield "last line\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")


def release_stream(request: HttpRequest, token: str) -> HttpResponse:
    _release_of(token).set()
    return HttpResponse("released", content_type="text/plain")


urlpatterns = [
    path("stream/<slug:token>/", held_stream),
    path("stream/<slug:token>/release/", release_stream),
    *demo_urlpatterns,
]
