"""Background work of the index: with the immediate backend it runs inline,
inside the receiver that enqueued it."""

from django.apps import apps

from pagesearch.compat import task
from pagesearch.models import IndexEntry
from pagesearch.signals import index_updated


@task()
def index_object(label: str, pk: str, title: str) -> int:
    """Write (or update) the index entry of one object, then tell listeners."""
    entry, created = IndexEntry.objects.update_or_create(
        content_type=label, object_pk=pk, defaults={"title": title}
    )
    index_updated.send(apps.get_model(label), entry=entry, created=created)
    return entry.pk
