"""The project's own receivers (its code, not an installed distribution's)."""

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tests.realproject.models import Document, Page


@receiver(post_delete, sender=Page)
def decrement_parent_numchild(sender, instance, **kwargs):
    """Keep the parent's child count: one UPDATE per deleted page."""
    if instance.parent_id is not None:
        Page.objects.filter(pk=instance.parent_id).update(numchild=F("numchild") - 1)


@receiver(post_save, sender=Document)
def document_saved(sender, instance, created, **kwargs):
    """Note a new document's file name (no query)."""
    if created and not instance.file_name:
        instance.file_name = f"{instance.title}.pdf"
