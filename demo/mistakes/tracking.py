"""Receivers of the help desk, connected in ``MistakesConfig.ready()``.

Mistake 5, ``fill_slug``: a ``post_save`` receiver that saves the instance
it received, so ``post_save`` is sent again from inside itself.

Mistake 6, ``count_duplicates``: a ``post_init`` receiver running a query
for every ticket loaded, an N+1 hidden in a signal receiver.
"""

from typing import Any

from django.db.models.signals import post_init, post_save
from django.dispatch import receiver
from django.utils.text import slugify

from demo.mistakes.models import Ticket
from demo.mistakes.signals import ticket_assigned


@receiver(post_save, sender=Ticket)
def fill_slug(
    sender: type[Ticket], instance: Ticket, created: bool, **kwargs: Any
) -> None:
    if created and not instance.slug:
        instance.slug = f"{slugify(instance.title)}-{instance.pk}"
        instance.save(update_fields=["slug"])  # post_save again, nested


@receiver(post_init, sender=Ticket)
def count_duplicates(sender: type[Ticket], instance: Ticket, **kwargs: Any) -> None:
    instance.duplicates = (
        Ticket.objects.filter(title=instance.title).exclude(pk=instance.pk).count()
    )


@receiver(ticket_assigned)
def notify_assignee(sender: type[Ticket], ticket: Ticket, **kwargs: Any) -> str:
    return f"Told the assignee about {ticket.title!r}"
