from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "demo.shop"
    label = "shop"

    def ready(self) -> None:
        from demo.shop import receivers  # noqa: F401 (connects the receivers)
