import asyncio
import threading
import time

from asgiref.sync import sync_to_async
from django.http import HttpResponse

from tests.testapp.models import Article, Reading
from tests.testapp.signals import article_published, robust_signal

PAGE = "<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"


def page(title: str) -> HttpResponse:
    return HttpResponse(PAGE.format(title=title))


def home(request):
    return page("home")


def create_article(request):
    title = request.GET.get("title", "Hello")
    Article.objects.create(title=title)
    return page(f"created {title}")


def nested_saves(request):
    for index in range(int(request.GET.get("count", "3"))):
        Article.objects.create(title=f"article {index}")
    return page("nested")


def custom_signal(request):
    marker = request.GET.get("marker", "none")
    article_published.send(sender="views.custom_signal", title=marker)
    return page(f"custom {marker}")


def robust(request):
    robust_signal.send_robust(sender="views.robust")
    return page("robust")


def raises(request):
    robust_signal.send(sender="views.raises")
    return page("unreachable")


async def async_view(request):
    marker = request.GET.get("marker", "none")
    await article_published.asend(sender="views.async_view", title=marker)
    await sync_to_async(Article.objects.create)(title=marker)
    await asyncio.sleep(0)
    return page(f"async {marker}")


def slow(request):
    marker = request.GET.get("marker", "none")
    time.sleep(float(request.GET.get("seconds", "0.05")))
    article_published.send(sender="views.slow", title=marker)
    return page(f"slow {marker}")


def readings(request):
    """Lists every Reading: two model signals per row (pre_init, post_init)."""
    values = [reading.value for reading in Reading.objects.all()]
    return page(f"{len(values)} readings")


# The threads outliving_thread started, and what lets them go on.
MAILERS: list[threading.Thread] = []
GO_ON = threading.Event()


def outliving_thread(request):
    """Starts a thread that sends two signals once GO_ON is set, after the
    response (its request's recording) is long finished."""

    def mail_later() -> None:
        GO_ON.wait(10)
        article_published.send(sender="thread", title="late")
        article_published.send(sender="thread", title="later")

    mailer = threading.Thread(target=mail_later, name="mail-later")
    MAILERS.append(mailer)
    mailer.start()
    return page("mail queued")
