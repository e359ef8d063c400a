from django.db import models


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


class Reading(models.Model):
    """A meter reading: listed by the thousands, with a post_init receiver."""

    value = models.IntegerField()

    def __str__(self) -> str:
        return str(self.value)
