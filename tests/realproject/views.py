from django.http import HttpResponse

from tests.realproject.models import Page
from tests.realproject.tree import build_tree


def publish_page(request):
    """Save one page: post_save -> update_index -> the task runs inline."""
    page = Page(title=request.GET.get("title", "Published page"))
    page.save()
    return HttpResponse(f"published page {page.pk}")


def delete_subtree(request):
    """Create a 31-page tree (without signals), then delete its root."""
    root = build_tree()
    deleted, per_model = root.delete()
    return HttpResponse(f"deleted {deleted} objects: {per_model}")


def light(request):
    """A page with one query and no dispatches beyond the request's own."""
    return HttpResponse(f"{Page.objects.count()} pages")
