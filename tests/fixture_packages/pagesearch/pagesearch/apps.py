from django.apps import AppConfig


class PageSearchConfig(AppConfig):
    name = "pagesearch"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from pagesearch import backends, receivers  # noqa: F401
