from django.db import models


class Page(models.Model):
    """A page of a tree of pages: deleting one deletes its subtree."""

    title = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    numchild = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.title


class Document(models.Model):
    title = models.CharField(max_length=200)
    file_name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.title


class Image(models.Model):
    title = models.CharField(max_length=200)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.title
