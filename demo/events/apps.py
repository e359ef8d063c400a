from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "demo.events"
    label = "events"

    def ready(self) -> None:
        from demo.events import receivers  # noqa: F401 (connects the receivers)
