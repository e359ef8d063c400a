"""The heavy pages' models: created with ``migrate --run-syncdb`` (no migrations)."""

from django.db import models


class Row(models.Model):
    """The 5,000-row list page reads these; each instance sends post_init."""

    name = models.CharField(max_length=100)
    value = models.IntegerField()

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    title = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    body = models.TextField()

    def __str__(self) -> str:
        return self.body


class AuditEntry(models.Model):
    message = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.message
