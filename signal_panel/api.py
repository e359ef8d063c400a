"""The user's recording: ``Recording`` and ``record_signals()`` for a ``with`` block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from signal_panel import report
from signal_panel.analysis import process_state, stats
from signal_panel.analysis.diagnose import Explanation, explain
from signal_panel.conf import Config
from signal_panel.recorder import instrument, state
from signal_panel.recording.base import BaseRecording


class Recording(BaseRecording):
    """Every signal dispatch made in one context, with what the user asks of it."""

    def to_stats(self, with_registry: bool = False) -> dict[str, Any]:
        """The JSON document of this recording (docs/stats-format.md);
        ``with_registry`` adds every signal and its receivers, each with its
        runs in this recording or why it never ran."""
        with self.reading():
            return stats.to_stats(self, process_state.current(), with_registry)

    def explain(self, receiver: Any) -> Explanation:
        """How often ``receiver`` ran in this recording, and if never, why::

        >>> print(recording.explain(notify_warehouse))
        shop.receivers.notify_warehouse did not run:
          django.db.models.signals.post_save: sent only by sender shop.Order
        """
        return explain(receiver, self.to_stats(), self.describer)

    def report(self, *, color: bool = False, width: int | None = None) -> str:
        """The recording as text (``signal_panel.report``): its findings and
        an indented tree, ``width`` columns wide (default: the terminal's)."""
        return report.format_stats(self.to_stats(), color=color, width=width)


@contextmanager
def record_signals(config: Config | None = None) -> Iterator[Recording]:
    """Record every signal dispatch made in the current context.

    The current context is this thread or asyncio task, and the
    ``sync_to_async``/``async_to_sync`` hops made from it. Works without the
    toolbar and without ``signal_panel`` in ``INSTALLED_APPS``::

        with record_signals() as recording:
            Article.objects.create(title="Hello")
        assert "django.db.models.signals.post_save" in recording.signal_names()
    """
    instrument.install()
    recording = Recording(config, instrument.instrumentation())
    token = state.push(recording)
    try:
        yield recording
    finally:
        state.pop(token)
        recording.close()
