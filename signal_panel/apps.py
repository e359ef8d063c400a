from django.apps import AppConfig


class SignalPanelConfig(AppConfig):
    name = "signal_panel"
    verbose_name = "Signal panel"

    def ready(self) -> None:
        from signal_panel import checks, instrument  # noqa: F401  (registers checks)

        instrument.install()
