from django.db import models


class Ticket(models.Model):
    """A support ticket: what the "Common mistakes" page opens, assigns,
    escalates and closes."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.title
