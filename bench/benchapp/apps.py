from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "bench.benchapp"
    label = "benchapp"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from bench.benchapp import receivers  # noqa: F401
