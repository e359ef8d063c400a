"""Audit mode: a receiver connected at run time and disconnected again.

``enable()`` connects :func:`record_audit_entry` to ``post_save`` and
``post_delete`` of Order with ``Signal.connect()``; ``disable()`` removes it
with ``Signal.disconnect()``. Receivers live in the process, so the mode
holds for every request the process serves until it is turned off (or the
server restarts).
"""

import threading
from typing import Any

from django.db.models.signals import post_delete, post_save

from demo.shop.models import AuditEntry, Order

_lock = threading.Lock()
_enabled = False

_CONNECTIONS = (
    (post_save, "demo.shop.audit.post_save"),
    (post_delete, "demo.shop.audit.post_delete"),
)


def record_audit_entry(sender: type[Order], instance: Order, **kwargs: Any) -> int:
    """Write who-did-what for each order change; returns the entry's id."""
    if kwargs["signal"] is post_delete:
        action = "deleted"
    else:
        action = "created" if kwargs["created"] else "updated"
    entry = AuditEntry.objects.create(
        message=f"Order #{instance.pk} ({instance.item}) {action}"
    )
    return entry.pk


def is_enabled() -> bool:
    return _enabled


def enable() -> None:
    global _enabled
    with _lock:
        for signal, uid in _CONNECTIONS:
            signal.connect(record_audit_entry, sender=Order, dispatch_uid=uid)
        _enabled = True


def disable() -> None:
    global _enabled
    with _lock:
        for signal, uid in _CONNECTIONS:
            signal.disconnect(sender=Order, dispatch_uid=uid)
        _enabled = False
