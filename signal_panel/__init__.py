"""A django-debug-toolbar panel that records every Django signal dispatch."""

from signal_panel.recording import DispatchRecord, Recording, record_signals

__all__ = ["DispatchRecord", "Recording", "record_signals"]
__version__ = "0.1.0"
