"""pagesearch's receivers of Django's signals, connected from AppConfig.ready()."""

from django.dispatch import receiver

from pagesearch.signals import setting_changed

_search_fields_cache: dict[str, list[str]] = {}


@receiver(setting_changed)
def clear_search_fields_cache(setting, **kwargs):
    """Forget the computed search fields when the index settings change."""
    if setting.startswith("PAGESEARCH_"):
        _search_fields_cache.clear()
