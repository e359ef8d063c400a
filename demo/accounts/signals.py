"""Custom signals of the accounts app."""

from django.dispatch import Signal

# Sent by the login view once the user is logged in, after Django's own
# user_logged_in. Sender: the user's class. Keyword arguments: ``user`` and
# ``at`` (an aware datetime).
login_succeeded = Signal()
