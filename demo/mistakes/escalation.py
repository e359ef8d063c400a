"""Mistake 4: a string sender on a plain Signal.

``sender="mistakes.Ticket"`` works for model signals (``post_save`` and
the others resolve "app_label.Model" strings to the model class). A plain
``Signal`` does not: the string itself is the sender, and the view sends
with ``sender=Ticket``, the class, so ``page_on_call`` never runs.
"""

from typing import Any

from demo.mistakes.signals import ticket_escalated


def page_on_call(sender: Any, ticket: Any, **kwargs: Any) -> str:
    return f"Paged the on-call engineer about {ticket.title!r}"


def connect() -> None:
    ticket_escalated.connect(page_on_call, sender="mistakes.Ticket")


def disconnect() -> None:
    ticket_escalated.disconnect(page_on_call, sender="mistakes.Ticket")
