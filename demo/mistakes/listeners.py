"""Mistake 2: a module imported under two names connects its receiver twice.

Imported as ``demo.mistakes.listeners`` by ``MistakesConfig.ready()``, and
again as ``mistakes.listeners`` by code that finds the project's directory
on ``sys.path`` too: two modules, two function objects with the same code,
both connected to ``ticket_closed``, so ``thank_reporter`` runs twice per
send. (``@receiver(..., dispatch_uid=...)`` would have kept one.)
"""

from typing import Any

from django.dispatch import receiver

from demo.mistakes.signals import ticket_closed


@receiver(ticket_closed)
def thank_reporter(sender: Any, ticket: Any, **kwargs: Any) -> str:
    return f"Thanked the reporter of {ticket.title!r}"
