from django.apps import AppConfig


class MistakesConfig(AppConfig):
    """An app whose receivers module is never imported: ready() forgets it."""

    name = "tests.mistakes"
    label = "mistakes"
