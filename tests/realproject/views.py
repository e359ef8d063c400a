"""The project's pages: full HTML documents, so the toolbar is added to them."""

from django.shortcuts import render

from tests.realproject.models import Page
from tests.realproject.tree import build_tree


def page(request, title: str, message: str):
    return render(
        request, "realproject/page.html", {"title": title, "message": message}
    )


def publish_page(request):
    """Save one page: post_save -> update_index -> the task runs inline."""
    published = Page(title=request.GET.get("title", "Published page"))
    published.save()
    return page(request, "Publish", f"published page {published.pk}")


def delete_subtree(request):
    """Create a 31-page tree (without signals), then delete its root."""
    root = build_tree()
    deleted, per_model = root.delete()
    return page(request, "Delete a subtree", f"deleted {deleted} objects: {per_model}")


def light(request):
    """A page with one query and no dispatches beyond the request's own."""
    return page(request, "Light", f"{Page.objects.count()} pages")
