"""Every signal known to the process, with its connected receivers.

What ddt's built-in SignalsPanel lists, for every ``Signal`` found in loaded
modules (not a hard-coded list), with each receiver's identity: dotted path,
source file and line, weak or strong reference, ``dispatch_uid``, the sender
it was connected for, sync or async. Identical receivers (one method
connected by 12 instances) are one entry with a ``count``; signals are listed
by whose code they are (the project's, packages', Django's, the toolbar's).

A pure function of the process's connections and the fired set: it may be
cached as long as neither changes.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from django.db.models.signals import ModelSignal
from django.dispatch import Signal
from django.dispatch.dispatcher import _make_id

from signal_panel.describe import (
    Describer,
    callable_name,
    connected_sender,
    source_location,
)
from signal_panel.sources.owners import owner_of, rank
from signal_panel.sources.signal_names import known_signals, signal_family


def registry(
    fired: set[str], describer: Describer | None = None
) -> list[dict[str, Any]]:
    """One entry per signal, the project's first, the toolbar's last, by
    dotted path within each; ``fired`` marks this request's."""
    describer = describer or Describer()
    entries = [
        signal_entry(signal, name, describer, name in fired)
        for signal, name in known_signals().values()
    ]
    return owners_first(entries)


def signal_entry(
    signal: Signal, name: str, describer: Describer, fired: bool = False
) -> dict[str, Any]:
    """The entry of one signal, named ``name``."""
    return {
        "signal": name,
        "family": signal_family(name),
        "owner": dict(owner_of(name)),
        "fired": fired,
        "model_signal": isinstance(signal, ModelSignal),
        "receivers": fold(
            receiver_identity(entry, describer) for entry in list(signal.receivers)
        ),
    }


def owners_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The project's signals first, the toolbar's last, by name within each."""
    return sorted(entries, key=lambda entry: (rank(entry["owner"]), entry["signal"]))


def fold(receivers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Identical receivers (same identity, such as one method connected by
    several instances) as one, with their ``count``, in first-seen order."""
    folded: dict[tuple[Any, ...], dict[str, Any]] = {}
    for receiver in receivers:
        key = tuple(receiver[field] for field in IDENTITY)
        if key in folded:
            folded[key]["count"] += 1
        else:
            folded[key] = {**receiver, "count": 1}
    return list(folded.values())


# What makes two connections one row.
IDENTITY = ("name", "file", "line", "weak", "dispatch_uid", "sender", "is_async")


def receiver_identity(entry: tuple[Any, ...], describer: Describer) -> dict[str, Any]:
    """Describe one item of ``Signal.receivers`` (Django 5.2 and 6.x layouts)."""
    (receiver_key, sender_key), ref = entry[0], entry[1]
    sender_ref = entry[2] if len(entry) == 4 else None
    weak = isinstance(ref, weakref.ReferenceType)
    receiver = ref() if weak else ref
    if receiver is None:
        return {
            "name": "(garbage-collected)",
            "file": None,
            "line": None,
            "weak": True,
            "dispatch_uid": None,
            "sender": None,
            "is_async": bool(entry[-1]),
            "owner": None,
        }
    location = source_location(receiver)
    uid = receiver_key if receiver_key != _make_id(receiver) else None
    name = callable_name(receiver)
    return {
        "name": name,
        "file": location[0] if location else None,
        "line": location[1] if location else None,
        "weak": weak,
        "dispatch_uid": None if uid is None else describer.value(uid),
        "sender": connected_sender(sender_key, sender_ref, describer),
        "is_async": bool(entry[-1]),
        "owner": dict(owner_of(name)),
    }
