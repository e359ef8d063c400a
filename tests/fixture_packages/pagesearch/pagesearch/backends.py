"""Search backends, one per storage, each forgetting its cached settings when
they change: 12 instances connect the same method to ``setting_changed``."""

from functools import cached_property

from django.conf import settings

from pagesearch.signals import setting_changed

STORAGES = (
    "pages",
    "documents",
    "images",
    "snippets",
    "forms",
    "redirects",
    "users",
    "comments",
    "tags",
    "collections",
    "locales",
    "media",
)


class Backend:
    """The index of one storage."""

    def __init__(self, name: str) -> None:
        self.name = name
        setting_changed.connect(self._clear_cached_properties)

    @cached_property
    def options(self) -> dict:
        return dict(getattr(settings, "PAGESEARCH_BACKENDS", {}).get(self.name, {}))

    def _clear_cached_properties(self, setting, **kwargs):
        if setting == "PAGESEARCH_BACKENDS":
            self.__dict__.pop("options", None)


#: Module-level references keep the weakly connected bound methods alive.
backends = [Backend(name) for name in STORAGES]


def get_backend(name: str) -> Backend:
    return next(backend for backend in backends if backend.name == name)
