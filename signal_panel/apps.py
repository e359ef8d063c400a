from django.apps import AppConfig


class SignalPanelConfig(AppConfig):
    name = "signal_panel"
    verbose_name = "Signal panel"

    def ready(self) -> None:
        from signal_panel import capture, checks  # noqa: F401  (registers checks)

        capture.install()
