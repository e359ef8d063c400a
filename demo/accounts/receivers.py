"""Receivers of the accounts app, connected in ``AccountsConfig.ready()``."""

import logging
import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.mail import send_mail
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from demo.accounts.models import Alert, PasswordResetRequest, Profile, SentMail
from demo.accounts.signals import login_succeeded

logger = logging.getLogger(__name__)

# The {% cache %} fragment of the profiles page that lists every member.
MEMBER_DIRECTORY_FRAGMENT = "member_directory"
FAILED_LOGIN_WINDOW = 15 * 60  # seconds


def failed_logins_key(username: str) -> str:
    return f"accounts:failed-logins:{username}"


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    created: bool,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    """Give every new user a profile (its post_save is dispatched inside this one)."""
    if created and not raw:
        Profile.objects.create(
            user=instance,
            display_name=instance.get_full_name() or instance.get_username(),
        )


@receiver([post_save, post_delete], sender=Profile)
def log_profile_change(sender: type[Profile], instance: Profile, **kwargs: Any) -> None:
    """One receiver for two signals: ``signal`` tells which one was sent."""
    if kwargs["signal"] is post_delete:
        action = "deleted"
    else:
        action = "created" if kwargs["created"] else "updated"
    logger.info("Profile %s %s", instance.display_name, action)


@receiver(post_save, sender=Profile)
@receiver(post_delete, sender=Profile)
def invalidate_member_directory(sender: type[Profile], **kwargs: Any) -> None:
    """The cached member directory is stale once any profile changes."""
    cache.delete(make_template_fragment_key(MEMBER_DIRECTORY_FRAGMENT))


def log_new_alert(
    sender: type[Alert], instance: Alert, created: bool, **kwargs: Any
) -> str | None:
    """Connected to ``post_save`` of Alert explicitly, in ``AccountsConfig.ready()``."""
    if created:
        logger.info(
            "New %s alert for user %s: %s",
            instance.level,
            instance.user_id,
            instance.message,
        )
    return "logged" if created else None


@receiver(login_succeeded)
def record_login(
    sender: type[AbstractBaseUser],
    user: AbstractBaseUser,
    at: datetime,
    **kwargs: Any,
) -> int:
    """Count the user's logins on their profile; returns the new count."""
    profile, _ = Profile.objects.get_or_create(
        user=user, defaults={"display_name": user.get_username()}
    )
    profile.login_count += 1
    profile.last_login_succeeded_at = at
    profile.save(update_fields=["login_count", "last_login_succeeded_at"])
    return profile.login_count


@receiver(user_login_failed)
def count_failed_login(sender: str, credentials: dict[str, Any], **kwargs: Any) -> int:
    """Count failed attempts per username (Django has already masked the password)."""
    key = failed_logins_key(str(credentials.get("username", "")))
    cache.add(key, 0, timeout=FAILED_LOGIN_WINDOW)
    return cache.incr(key)


@receiver(post_save, sender=PasswordResetRequest)
def send_reset_code(
    sender: type[PasswordResetRequest],
    instance: PasswordResetRequest,
    created: bool,
    **kwargs: Any,
) -> None:
    """Email the one-time code "in the background", as tutorials often do.

    The worker thread does not take the work off the request: ``join()``
    waits for it, so the request still pays for the whole conversation with
    the mail server. The Signals panel shows it as this receiver's time, and
    the ``post_save`` of the ``SentMail`` the thread saves nested under this
    receiver, "in thread send-reset-code". To really move it out of the
    request, hand it to a task queue instead.
    """
    if not created:
        return
    user = instance.user
    worker = threading.Thread(
        target=mail_reset_code,
        kwargs={
            "user": user,
            "subject": "Your password reset code",
            "message": (
                f"Hello {user.get_username()},\n\n"
                f"Your one-time code is {instance.code}. It works once.\n"
            ),
        },
        name="send-reset-code",
    )
    worker.start()
    worker.join()


def mail_reset_code(user: AbstractBaseUser, subject: str, message: str) -> None:
    """The worker thread: send the mail, then note it (a ``SentMail``)."""
    email = str(getattr(user, "email", ""))
    try:
        send_mail(subject, message, None, [email])
        SentMail.objects.create(user=user, subject=subject, recipient=email)
    finally:
        connection.close()  # The thread's own connection, not left open.


@receiver(post_save, sender=SentMail)
def log_sent_mail(
    sender: type[SentMail], instance: SentMail, created: bool, **kwargs: Any
) -> None:
    """Log each mail sent (its post_save comes from the mailing thread)."""
    if created:
        logger.info("Mail %r sent to %s", instance.subject, instance.recipient)
