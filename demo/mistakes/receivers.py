"""Mistake 1: a receivers module that nothing imports.

``MistakesConfig.ready()`` forgets ``from demo.mistakes import receivers``,
so the decorator below never runs and ``welcome_reporter`` never receives
``ticket_opened``: its send finds no receiver (an orphan send). The panel
reports the module as never imported, on every page, since the mistake is
the project's and not a request's; ``manage.py check`` warns about it too.
"""

from typing import Any

from django.dispatch import receiver

from demo.mistakes.signals import ticket_opened


@receiver(ticket_opened)
def welcome_reporter(sender: Any, ticket: Any, **kwargs: Any) -> str:
    return f"Thanks for reporting {ticket.title!r}"
