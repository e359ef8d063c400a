"""Debug-only views for the real-server tests, under ``/_test/``.

They expose what a test in another process cannot see otherwise: the stored
stats document, live RequestRecording objects, open database files, and a
background thread that sends signals outside of any request.
"""

import asyncio
import contextvars
import gc
import os
import threading
import time

from debug_toolbar.store import get_store
from debug_toolbar.toolbar import DebugToolbar
from django.http import HttpResponse, JsonResponse
from django.urls import path

from signal_panel.toolbar import lifecycle
from tests.testapp.signals import article_published

PAGE = "<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"


def page(title: str) -> HttpResponse:
    return HttpResponse(PAGE.format(title=title))


def interleaved(request):
    """Sends article_published ``count`` times, pausing between sends, so the
    sends of concurrent requests interleave."""
    marker = request.GET.get("marker", "none")
    pause = float(request.GET.get("pause", "0.005"))
    for index in range(int(request.GET.get("count", "3"))):
        article_published.send(sender="probes.interleaved", title=f"{marker}#{index}")
        time.sleep(pause)
    return page(f"interleaved {marker} thread={threading.get_ident()}")


async def ainterleaved(request):
    """The async twin of ``interleaved`` (asend, asyncio.sleep)."""
    marker = request.GET.get("marker", "none")
    pause = float(request.GET.get("pause", "0.005"))
    for index in range(int(request.GET.get("count", "3"))):
        await article_published.asend(
            sender="probes.ainterleaved", title=f"{marker}#{index}"
        )
        await asyncio.sleep(pause)
    return page(f"ainterleaved {marker}")


def stats(request):
    """The SignalPanel stats stored for ``request_id`` (with any store)."""
    data = get_store().panel(request.GET["request_id"], "SignalPanel")
    return JsonResponse({"stats": data, "pid": os.getpid()})


def recordings(request):
    """Counts of live objects of the recorder and the toolbar in this process."""
    gc.collect()
    # type(), not isinstance(): isinstance() would evaluate lazy objects.
    objects = gc.get_objects()
    alive = [o for o in objects if issubclass(type(o), lifecycle.RequestRecording)]
    return JsonResponse(
        {
            "alive": len(alive),
            "open": sum(1 for r in alive if r.end is None),
            "toolbars": sum(1 for o in objects if issubclass(type(o), DebugToolbar)),
            "stored": len(list(get_store().request_ids())),
            "pid": os.getpid(),
        }
    )


def open_db_files(request):
    """How many file descriptors of this process have the SQLite file open."""
    from django.conf import settings

    name = os.path.realpath(str(settings.DATABASES["default"]["NAME"]))
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target == name:
            count += 1
    return JsonResponse({"open": count, "pid": os.getpid()})


_background: dict[str, dict] = {}


def _send_forever(marker: str, state: dict) -> None:
    while not state["stop"].is_set():
        article_published.send(sender="probes.background", title=marker)
        state["sent"] += 1
        time.sleep(0.002)


def background(request):
    """``action=start``: a thread outside any request starts sending
    article_published(title=marker); ``status`` and ``stop`` report how many
    it sent."""
    marker = request.GET["marker"]
    action = request.GET.get("action", "status")
    if action == "start":
        state = _background[marker] = {"stop": threading.Event(), "sent": 0}
        thread = threading.Thread(
            target=_send_forever, args=(marker, state), daemon=True
        )
        # An empty context: nothing of this request's, whatever the Python.
        contextvars.Context().run(thread.start)
    state = _background[marker]
    if action == "stop":
        state["stop"].set()
    return JsonResponse({"sent": state["sent"]})


_outlived: dict[str, dict] = {}


def outlive(request):
    """Keeps running after the client went away (ASGI disconnect): sleeps,
    then sends article_published(title=marker). ``outlived`` reports what
    became of its recording."""
    marker = request.GET["marker"]
    _outlived[marker] = {"recording": lifecycle.recording_for(request)}
    time.sleep(float(request.GET.get("seconds", "1")))
    article_published.send(sender="probes.outlive", title=marker)
    _outlived[marker]["returned"] = True
    return page(f"outlived {marker}")


def outlived(request):
    """The state of ``outlive``'s recording; lets go of it once closed."""
    state = _outlived.get(request.GET["marker"])
    if state is None:
        return JsonResponse({"state": None})
    recording = state.get("recording")
    if recording is not None and recording.end is not None:
        state.update(
            closed=True,
            signals=recording.signal_names(),
            titles=[
                record.kwarg("title")
                for record in recording.dispatches
                if record.signal is article_published
            ],
            failures=list(recording.failures),
        )
        state["recording"] = None  # let it be freed
    report = {key: value for key, value in state.items() if key != "recording"}
    report["recorded"] = recording is not None or "closed" in state
    return JsonResponse({"state": report})


urlpatterns = [
    path("interleaved/", interleaved),
    path("ainterleaved/", ainterleaved),
    path("stats/", stats),
    path("recordings/", recordings),
    path("open-db-files/", open_db_files),
    path("background/", background),
    path("outlive/", outlive),
    path("outlived/", outlived),
]
