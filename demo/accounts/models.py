from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What the site knows about a user beyond Django's User model.

    Created by a ``post_save`` receiver on the user model, never by hand.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=150)
    login_count = models.PositiveIntegerField(default=0)
    last_login_succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class Alert(models.Model):
    """A notice for one user."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts"
    )
    message = models.CharField(max_length=200)
    level = models.CharField(max_length=10, choices=Level, default=Level.INFO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


class PasswordResetRequest(models.Model):
    """A one-time code sent by email to a user who forgot their password.

    Saving a new request sends the code (see ``receivers.send_reset_code``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    code = models.CharField(max_length=6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Reset request for user {self.user_id}"


class SentMail(models.Model):
    """A mail the site sent, noted by the thread that sent it.

    Saved from the worker thread of ``receivers.send_reset_code``: its
    ``post_save`` is sent in that thread, and the Signals panel shows it
    nested under the receiver that started the thread.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    subject = models.CharField(max_length=200)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.subject} to {self.recipient}"
