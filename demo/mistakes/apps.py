from django.apps import AppConfig


class MistakesConfig(AppConfig):
    name = "demo.mistakes"
    label = "mistakes"
    verbose_name = "Common mistakes"

    def ready(self) -> None:
        # Mistake 1, on purpose: receivers.py is never imported here, so its
        # @receiver decorators never run. The fix would be one more line:
        #     from demo.mistakes import receivers
        from pagesearch import index

        from demo.mistakes import listeners, tracking  # noqa: F401
        from demo.mistakes.models import Ticket

        # The help desk's tickets are searchable: pagesearch 1.4.2, an installed
        # package, connects its receivers to post_save (update_index) and
        # post_delete (remove_from_index, one query per deleted ticket).
        index.register(Ticket)
