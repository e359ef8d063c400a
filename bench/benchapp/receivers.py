"""Receivers of the heavy pages: a cheap post_init and nested post_saves."""

from typing import Any

from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from bench.benchapp.models import Article, AuditEntry, Comment, Row


@receiver(post_init, sender=Row)
def count_rows(sender: Any, instance: Row, **kwargs: Any) -> None:
    instance._seen = True


@receiver(post_save, sender=Article)
def comment_on_article(sender: Any, instance: Article, created: bool, **kwargs: Any):
    """Saves another model: a post_save nested in a post_save."""
    if created:
        Comment.objects.create(article=instance, body="First!")


@receiver(post_save, sender=Comment)
def audit_comment(sender: Any, instance: Comment, created: bool, **kwargs: Any):
    """Nested one level deeper: Article → Comment → AuditEntry."""
    AuditEntry.objects.create(message=f"comment {instance.pk}")
    return "audited"
