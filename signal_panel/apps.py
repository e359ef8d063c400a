from django.apps import AppConfig


class SignalPanelConfig(AppConfig):
    name = "signal_panel"
    verbose_name = "Signal panel"

    def ready(self) -> None:
        from signal_panel import checks  # noqa: F401  (registers checks)
        from signal_panel.recorder import instrument

        instrument.install()
