"""Receivers of the staff app, connected in ``StaffConfig.ready()``.

``assign_to_shift`` is written the straightforward way, one query per shift
it looks at. That is on purpose: the Signals panel shows how long the
receiver took, and the SQL panel shows the queries behind that time.
"""

import datetime
import logging
from typing import Any

from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from demo.staff.models import SHIFT_SIZE, Employee, Shift

logger = logging.getLogger(__name__)


@receiver(pre_save, sender=Employee)
def clear_expired_shifts(sender: type[Employee], **kwargs: Any) -> int:
    """Before anyone is hired, delete the shifts of past days.

    Returns how many shifts were deleted.
    """
    _, by_model = Shift.objects.filter(date__lt=timezone.localdate()).delete()
    return by_model.get(Shift._meta.label, 0)


@receiver(post_save, sender=Employee)
def assign_to_shift(
    sender: type[Employee], instance: Employee, created: bool, **kwargs: Any
) -> str | None:
    """Put a new employee on the first shift with room, or on a new one.

    Adding them through ``Shift.staff`` (an explicit through model) sends
    ``m2m_changed`` twice, ``pre_add`` and ``post_add``.
    """
    if not created:
        return None
    shift = None
    for candidate in Shift.objects.filter(date__gte=timezone.localdate()):
        if candidate.staff.count() < SHIFT_SIZE:
            shift = candidate
            break
    if shift is None:
        last = Shift.objects.order_by("-date").first()
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        date = (
            max(last.date + datetime.timedelta(days=1), tomorrow) if last else tomorrow
        )
        shift = Shift.objects.create(date=date)
    shift.staff.add(instance)
    return f"{instance.name} → {shift.date:%Y-%m-%d}"


@receiver(m2m_changed, sender=Shift.staff.through)
def log_staffing_change(
    sender: type, instance: Shift | Employee, action: str, **kwargs: Any
) -> None:
    """Log who joined a shift (``sender`` is the through model, Assignment)."""
    if action == "post_add" and isinstance(instance, Shift):
        logger.info(
            "Shift of %s: %d of %d places taken",
            instance.date,
            instance.staff.count(),
            SHIFT_SIZE,
        )
