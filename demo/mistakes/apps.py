from django.apps import AppConfig


class MistakesConfig(AppConfig):
    name = "demo.mistakes"
    label = "mistakes"
    verbose_name = "Common mistakes"

    def ready(self) -> None:
        # Mistake 1, on purpose: receivers.py is never imported here, so its
        # @receiver decorators never run. The fix would be one more line:
        #     from demo.mistakes import receivers
        from demo.mistakes import listeners, tracking  # noqa: F401
