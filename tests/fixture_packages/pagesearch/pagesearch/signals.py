"""Signals of pagesearch: Django's re-exported (as many packages do) and our own."""

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

__all__ = ["index_updated", "post_delete", "post_save", "setting_changed"]

#: Sent after an object's index entry was written: ``sender`` is the model
#: class, ``entry`` the IndexEntry, ``created`` whether it is new.
index_updated = Signal()
