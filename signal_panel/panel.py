"""The django-debug-toolbar panel: shows a request's recording."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from debug_toolbar import settings as dt_settings
from debug_toolbar.panels import Panel
from django.db import connections
from django.templatetags.static import static
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from signal_panel.analysis import process_state
from signal_panel.analysis.stats import VERSION, summary_of, to_stats
from signal_panel.api import Recording
from signal_panel.describe import describe_exception
from signal_panel.recorder import instrument, state
from signal_panel.toolbar import lifecycle, stored_registry
from signal_panel.toolbar.across_store import URL_NAME, across_view
from signal_panel.view.render import nav_subtitle, render_content

logger = logging.getLogger("signal_panel")


class SignalPanel(Panel):
    """Every signal dispatched while the request was handled, on one timeline."""

    title = _("Signal dispatches")
    nav_title = _("Signals")
    nav_icon = "debug_toolbar/img/signals.svg"
    template = "signal_panel/panel.html"
    is_async = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recording: Recording | None = None
        self._fallback_token: Any = None
        self._document: RequestDocument | None = None

    @classmethod
    def ready(cls) -> None:
        lifecycle.install()

    @property
    def nav_subtitle(self) -> str:
        return nav_subtitle(self.get_stats())

    @classmethod
    def get_urls(cls) -> list[URLPattern]:
        """The "Across requests" tab's content, under the toolbar's URLs."""
        return [path("signal_panel/across/", across_view, name=URL_NAME)]

    @property
    def content(self) -> str:
        return render_content(
            stored_registry.with_registry(self.get_stats(), self.toolbar.store),
            panel_id=self.panel_id,
            request_id=getattr(self.toolbar, "request_id", None),
            links=self.links(),
        )

    @staticmethod
    def links() -> dict[str, str]:
        """Where the "Across requests" tab fetches its content, and how it
        switches the toolbar to a request (the History panel's view and
        the toolbar's script that applies it); empty if not routed."""
        links = {}
        for name, url in (("across", URL_NAME), ("history", "history_sidebar")):
            with contextlib.suppress(NoReverseMatch):
                links[name] = reverse(f"djdt:{url}")
        if links:
            links["toolbar_utils"] = static("debug_toolbar/js/utils.js")
        return links

    @property
    def scripts(self) -> list[str]:
        return [static("signal_panel/panel.js")]

    def enable_instrumentation(self) -> None:
        recording: Recording | None = lifecycle.recording_for(self.toolbar.request)
        if recording is None:
            # request_started was not seen (instrumentation installed late):
            # record from here on instead.
            recording = Recording(instrumentation=instrument.instrumentation())
            self._fallback_token = state.push(recording)
        self._recording = recording

    def disable_instrumentation(self) -> None:
        if self._fallback_token is not None:
            state.pop(self._fallback_token)
            self._fallback_token = None
            if self._recording is not None:
                self._recording.close()

    def generate_stats(self, request: Any, response: Any) -> None:
        """The stats, stored; or, when the document is sure to be built
        after ``request_finished`` and nothing renders it before, only its
        summary (the sidebar line, Server-Timing): a request builds its
        document once."""
        recording = self._recording
        if recording is None:
            return
        self._document = document = RequestDocument(
            self.toolbar.store, self.toolbar.request_id, self.panel_id
        )
        if not isinstance(recording, lifecycle.RequestRecording):
            self.record_stats(document.build(recording))
            return
        recording.on_finish(self._save_finished)
        if getattr(response, "streaming", False) or self.toolbar.should_render_panels():
            # Read before request_finished: a streamed page's panel, opened
            # while it streams, or the panels rendered into the page.
            self.record_stats(document.build(recording))
        else:
            # Its summary alone, for the sidebar, Server-Timing, and a panel
            # fetched before the document is stored (it says so, and polls).
            self.record_stats(
                {"version": VERSION, "summary": document.summary(recording)}
            )

    def generate_server_timing(self, request: Any, response: Any) -> None:
        summary = self.get_stats().get("summary") or {}
        self.record_server_timing(
            "receivers",
            f"Signal receivers ({summary.get('dispatches', 0)} dispatches)",
            summary.get("receiver_time_ms", 0),
        )

    def _save_finished(self, recording: Recording) -> None:
        """Store the recording again, now with ``request_finished``; and once
        more when the threads started in it that outlived it are done, with
        the count of their later sends (``summary.after_end``)."""
        document = self._document
        if document is None:
            return
        if recording.threads_open:
            # Before the stats are built: a thread ending meanwhile then
            # still stores again. Only the document waits, not the toolbar.
            document.awaited = lifecycle.after_threads(
                recording,
                document.store_again,
                dt_settings.get_config()["RESULTS_CACHE_SIZE"],
            )
        stats = document.store_again(recording)
        if stats is not None:
            self.toolbar.stats[self.panel_id] = stats


class RequestDocument:
    """The stats document of one request, built from its recording and
    stored in the toolbar's store (up to three times: docs/stats-format.md).
    Holds nothing of the request but what that takes."""

    def __init__(self, store: Any, request_id: str | None, panel_id: str) -> None:
        self.store = store
        self.request_id = request_id
        self.panel_id = panel_id
        # The dispatches' JSON, built once per request (see stats.to_stats).
        self.built: dict[int, dict[str, Any]] = {}
        # The process's state when it was first built, and where its
        # registry is: the same for every build.
        self.process: process_state.ProcessState | None = None
        self.registry_fields: dict[str, Any] = {}
        # Whether it is stored again once the threads that outlived the
        # request are done (lifecycle.after_threads); its stores after
        # request_finished, from two threads, one at a time.
        self.awaited = False
        self.saving = threading.Lock()

    def store_again(self, recording: Recording) -> dict[str, Any] | None:
        """Build and store it, if the toolbar's store still holds the
        request; the stats stored, or None.

        Django has run ``close_old_connections`` by now: close any database
        connection that writing to a DatabaseStore opens.
        """
        store, request_id = self.store, self.request_id
        closed = {
            alias for alias in connections if connections[alias].connection is None
        }
        try:
            with self.saving:
                if not (request_id and store.exists(request_id)):
                    return None
                stats = self.build(recording)
                store.save_panel(request_id, self.panel_id, stats)
                return stats
        finally:
            for alias in closed:
                if connections[alias].connection is not None:
                    connections[alias].close()

    def summary(self, recording: Recording) -> dict[str, Any]:
        """The document's summary alone (see :meth:`build`)."""
        try:
            with recording.reading():
                return summary_of(recording)
        except Exception:
            logger.warning("signal_panel could not build its stats", exc_info=True)
            return {"dispatches": 0, "receivers": 0, "request_finished": False}

    def build(self, recording: Recording) -> dict[str, Any]:
        """The recording's stats; if building them fails, a document that
        says so.

        Runs in the toolbar's post-processing of the user's request: a
        recorder bug must show as an incomplete recording, never as a failed
        request.
        """
        try:
            if self.process is None:
                self.process = process = process_state.current()
                self.registry_fields = stored_registry.registry_fields(
                    process, self.store, self.request_id
                )
            with recording.reading():
                document = to_stats(recording, self.process, built=self.built)
            document.update(self.registry_fields)
            # The panel's own: whether this is stored again when threads end.
            document["summary"]["threads_awaited"] = self.awaited
            return document
        except Exception as exc:
            logger.warning("signal_panel could not build its stats", exc_info=True)
            return {
                "version": VERSION,
                "summary": {"dispatches": 0, "receivers": 0, "request_finished": False},
                "dispatches": [],
                "groups": [],
                "orphans": [],
                "failures": [*recording.failures, describe_exception(exc)],
            }
