"""Receivers of the test app, connected in TestAppConfig.ready()."""

from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from tests.testapp.models import Article, AuditEntry, Comment, Reading
from tests.testapp.signals import article_published, robust_signal


@receiver(post_save, sender=Article)
def comment_on_new_article(sender, instance, created, **kwargs):
    """A receiver that saves another model: a nested post_save."""
    if created:
        Comment.objects.create(article=instance, body="First!")


@receiver(post_save, sender=Comment)
def audit_comment(sender, instance, created, **kwargs):
    AuditEntry.objects.create(message=f"comment {instance.pk}")
    return "audited"


@receiver(article_published)
def announce(sender, title, **kwargs):
    return f"announced {title}"


@receiver(robust_signal)
def fragile(sender, **kwargs):
    raise ValueError("fragile receiver broke")


@receiver(robust_signal)
def sturdy(sender, **kwargs):
    return "sturdy ok"


@receiver(post_init, sender=Reading)
def note_reading_loaded(sender, instance, **kwargs):
    instance.loaded = True
