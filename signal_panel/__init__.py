"""A django-debug-toolbar panel that records every Django signal dispatch."""

from signal_panel.api import Recording, record_signals
from signal_panel.conf import Config
from signal_panel.recording.records import CallRecord, DispatchRecord, Group, Orphan

__all__ = [
    "CallRecord",
    "Config",
    "DispatchRecord",
    "Group",
    "Orphan",
    "Recording",
    "record_signals",
]
__version__ = "0.1.0"
