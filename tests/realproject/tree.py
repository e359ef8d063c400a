"""Build a tree of pages without sending signals (bulk_create), level by level."""

from tests.realproject.models import Page

#: A root with two children per page, five levels: 1 + 2 + 4 + 8 + 16 pages.
SUBTREE_SIZE = 31


def build_tree(title: str = "root", depth: int = 5, fanout: int = 2) -> Page:
    """Create ``title``'s tree (31 pages by default) and return its root."""
    root = Page.objects.bulk_create(
        [Page(title=title, numchild=fanout if depth > 1 else 0)]
    )[0]
    level = [root]
    for n in range(1, depth):
        level = Page.objects.bulk_create(
            [
                Page(
                    title=f"{parent.title}.{i}",
                    parent=parent,
                    numchild=fanout if n < depth - 1 else 0,
                )
                for parent in level
                for i in range(fanout)
            ]
        )
    return root
