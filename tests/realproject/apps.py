from django.apps import AppConfig


class RealProjectConfig(AppConfig):
    name = "tests.realproject"
    label = "realproject"

    def ready(self):
        import pagesearch.index

        from tests.realproject import receivers  # noqa: F401
        from tests.realproject.models import Document, Image, Page

        for model in (Page, Document, Image):
            pagesearch.index.register(model)
