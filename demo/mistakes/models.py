from django.db import models

# The sample tickets: ``manage.py seed_demo`` creates them, the "Common
# mistakes" page's "Clear the queue" puts them back.
SAMPLE_TITLES = [f"{thing} out of order" for thing in ("Lift", "Scanner", "Kiosk")] * 4


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


def restore_samples() -> None:
    """Only the sample tickets, unindexed: ``bulk_create`` sends no post_save."""
    Ticket.objects.bulk_create(Ticket(title=title) for title in SAMPLE_TITLES)
