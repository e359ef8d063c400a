from django.apps import AppConfig
from django.core.signals import request_finished, request_started


class CoreConfig(AppConfig):
    name = "demo.core"
    label = "core"
    verbose_name = "Demo site"

    def ready(self) -> None:
        from demo.core import metrics

        # dispatch_uid keeps a second ready() (e.g. in tests) from connecting
        # the same receiver twice.
        request_started.connect(
            metrics.count_request, dispatch_uid="demo.core.metrics.count_request"
        )
        request_finished.connect(
            metrics.flush_metrics, dispatch_uid="demo.core.metrics.flush_metrics"
        )
