"""Which models are indexed, and the receivers that keep their entries current.

``register(model)`` connects the same two module-level receivers for every
registered model: one receiver, one connection per sender.
"""

from django.db.models import F

from pagesearch.models import IndexEntry, IndexStats
from pagesearch.signals import index_updated, post_delete, post_save

_registry: list[type] = []


def register(model):
    """Index ``model``'s objects: saved ones are (re)indexed, deleted ones removed."""
    if model not in _registry:
        _registry.append(model)
        post_save.connect(update_index, sender=model)
        post_delete.connect(remove_from_index, sender=model)
    return model


def registered_models():
    return list(_registry)


def title_of(instance) -> str:
    return str(getattr(instance, "title", "") or getattr(instance, "name", ""))


def update_index(sender, instance, **kwargs):
    """Enqueue the object's reindexing (inline with the immediate backend)."""
    from pagesearch.tasks import index_object

    index_object.enqueue(sender._meta.label, str(instance.pk), title_of(instance))


def remove_from_index(sender, instance, **kwargs):
    """Delete the object's entry: one query per deleted object."""
    IndexEntry.objects.filter(
        content_type=sender._meta.label, object_pk=str(instance.pk)
    ).delete()


def count_update(sender, entry, **kwargs):
    """Count writes per model (a receiver of our own signal that runs SQL)."""
    updated = IndexStats.objects.filter(content_type=entry.content_type).update(
        updates=F("updates") + 1
    )
    if not updated:
        IndexStats.objects.create(content_type=entry.content_type, updates=1)


index_updated.connect(count_update, dispatch_uid="pagesearch.count_update")
