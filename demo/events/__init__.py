"""Custom signals: an event log, robust and plain sends, an async send."""
