"""The help desk's own signals. Plain ``Signal`` objects, not model signals:
they do not resolve "app_label.Model" strings given as ``sender``."""

from django.dispatch import Signal

ticket_opened = Signal()  # receivers.py's receiver would listen (never imported)
ticket_assigned = Signal()  # a weak receiver of it dies
ticket_escalated = Signal()  # escalation.py connects for sender="mistakes.Ticket"
ticket_closed = Signal()  # listeners.py, imported under two names, listens twice
