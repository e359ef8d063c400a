from django.db import models


class IndexEntry(models.Model):
    """One indexed object: its model's label, its primary key and its title."""

    content_type = models.CharField(max_length=100)
    object_pk = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_pk"], name="pagesearch_unique_object"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type}:{self.object_pk}"


class IndexStats(models.Model):
    """How many times each model's entries were written (one row per model)."""

    content_type = models.CharField(max_length=100, unique=True)
    updates = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.content_type
