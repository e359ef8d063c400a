"""Receivers that never run: nothing imports this module (see apps.py)."""

from django.dispatch import receiver

from tests.mistakes.signals import noticed


@receiver(noticed)
def never_connected(sender, **kwargs):
    return "never"
