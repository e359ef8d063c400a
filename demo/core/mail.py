"""An in-memory email backend with a mail server's latency."""

import time
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend


class SlowLocmemEmailBackend(EmailBackend):
    """Keeps messages in ``django.core.mail.outbox``, after a short wait.

    A real SMTP conversation takes tens of milliseconds; the wait makes the
    cost of sending mail from a receiver visible in the toolbar.
    """

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(getattr(settings, "DEMO_EMAIL_LATENCY", 0.0))
        return super().send_messages(messages)
