"""``record_signals()``: record every signal dispatch of a ``with`` block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from signal_panel import instrument, state
from signal_panel.conf import Config
from signal_panel.recording import Recording


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
