from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "demo.staff"
    label = "staff"

    def ready(self) -> None:
        from demo.staff import receivers  # noqa: F401 (connects the receivers)
