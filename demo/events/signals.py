"""Custom signals of the events app."""

from django.dispatch import Signal

# Something happened worth a line in the event log. Sender: the name of the
# part of the site that logs it, a plain string. Keyword argument: ``message``.
event_logged = Signal()

# The daily report was asked for. Sender: the report's name, a string.
# Keyword argument: ``day`` (a date). One of its receivers fails.
report_requested = Signal()

# A price check for one product. Sender: the view's name. Keyword argument:
# ``sku``. Has a sync and an async receiver; send it with ``asend``.
price_checked = Signal()
