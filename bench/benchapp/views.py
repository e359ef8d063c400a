from django.db import transaction
from django.http import HttpResponse

from bench.benchapp.models import Article, Row

PAGE = "<html><head><title>{title}</title></head><body>{body}</body></html>"


def rows(request):
    """5,000 model instances: 5,000 pre_init and post_init dispatches."""
    items = "".join(
        f"<li>{row.name}: {row.value}</li>" for row in Row.objects.order_by("pk")
    )
    return HttpResponse(PAGE.format(title="rows", body=f"<ul>{items}</ul>"))


def saves(request):
    """200 saves, each with a post_save receiver saving another model, nested twice."""
    count = int(request.GET.get("count", "200"))
    with transaction.atomic():
        for index in range(count):
            Article.objects.create(title=f"article {index}")
    return HttpResponse(PAGE.format(title="saves", body=f"<p>{count} saved</p>"))


def light(request):
    """No SQL, no model: request_started and request_finished only."""
    return HttpResponse(PAGE.format(title="light", body="<p>hello</p>"))


def busy(request):
    """The light page's dispatches, after some milliseconds of the view's own
    work: what the panel adds must not grow with it."""
    total = sum(index * index for index in range(200_000))
    return HttpResponse(PAGE.format(title="busy", body=f"<p>{total}</p>"))
