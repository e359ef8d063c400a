from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "demo.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Importing the module connects its @receiver-decorated functions.
        from demo.accounts import receivers

        # The explicit form of the same thing: connect a receiver here.
        post_save.connect(
            receivers.log_new_alert,
            sender=self.get_model("Alert"),
            dispatch_uid="demo.accounts.log_new_alert",
        )
