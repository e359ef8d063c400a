"""Signals only: a signals module that connects nothing is not a mistake."""

from django.dispatch import Signal

noticed = Signal()
