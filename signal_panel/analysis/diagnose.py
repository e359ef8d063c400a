"""Answers: why a connected receiver did not run, and how often each one did.

Computed when the stats are built (never on the hot path), from what the
recording holds and from the signals' connections *at that moment*: a
receiver connected or disconnected between the send and the building of the
stats is judged by its connection now, and the panel says so.

- :func:`orphan_receivers`: for sends that found no receiver, each receiver
  connected to the signal and why it was not one of them (connected for
  another sender, a dead weak reference, ...).
- :func:`receiver_statuses`: for the registry, each receiver's runs in this
  request, or why it never ran ("signal not sent", "sent only by senders A,
  B", ...).
- :func:`explain`: the same for one receiver object, for tests and shells.

``findings`` flags the classic mistakes.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal
from django.dispatch.dispatcher import NONE_ID, _make_id

from signal_panel.describe import Describer, callable_name, connected_sender
from signal_panel.recording.records import DEAD_WEAK, GARBAGE_COLLECTED, MANY_SENDERS
from signal_panel.sources.signal_names import known_signals

NOT_SENT = "signal not sent"
NOT_REACHED = "not reached: an earlier receiver raised"
CONNECTED_LATER = "connected after the send"
# How ``connected_sender`` describes a sender it cannot find (Django 5.2 keeps
# only its id): its runs cannot be told from those of other connections.
UNKNOWN_SENDER = "<object id "
NOT_LIVE = "not live when the signal was sent"


def orphan_receivers(
    signal: Signal,
    sender: str,
    sender_id: int | None,
    describer: Describer,
    connected: list[Any] | None = None,
) -> list[dict[str, str]]:
    """Each receiver connected to ``signal`` and why none of them ran for the
    sends of ``sender`` (whose id is ``sender_id``; None for many senders)
    that found no receiver: the connections the first such send saw, if it
    saw some, else those of now."""
    reasons = []
    for entry in list(signal.receivers if connected is None else connected):
        (_, sender_key), ref = entry[0], entry[1]
        sender_ref = entry[2] if len(entry) == 4 else None
        receiver = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if receiver is None:
            reasons.append({"name": GARBAGE_COLLECTED, "reason": DEAD_WEAK})
            continue
        if sender_key != NONE_ID and sender_key != sender_id:
            connected_for = connected_sender(sender_key, sender_ref, describer)
            reason = f"connected for sender {connected_for}; these sends' sender was "
            reason += sender
        elif sender_ref is not None and sender_ref() is None:
            reason = "its sender was garbage-collected"
        else:
            reason = CONNECTED_LATER if connected is None else NOT_LIVE
        reasons.append({"name": callable_name(receiver), "reason": reason})
    return reasons


@dataclass
class Activity:
    """What a stats document says happened, per signal, sender and receiver.

    Runs and skips are kept per sender, so a receiver connected for several
    senders (one function, a connection per model) is judged per connection:
    only the sends of the sender it is connected for count.
    """

    # (signal, receiver name) -> sender -> runs.
    runs: defaultdict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    # signal -> the senders it was sent by (with or without receivers).
    senders: defaultdict[str, set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # (signal, receiver name) -> sender -> the reasons detailed dispatches gave.
    not_called: defaultdict[tuple[str, str], defaultdict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )

    @classmethod
    def of(cls, stats: dict[str, Any]) -> Activity:
        activity = cls()
        for group in stats.get("groups") or ():
            activity.senders[group["signal"]].add(group["sender"])
            for receiver in group["receivers"]:
                runs = receiver.get("runs", group["count"])  # Older documents.
                key = (group["signal"], receiver["name"])
                activity.runs[key][group["sender"]] += runs
        for orphan in stats.get("orphans") or ():
            activity.senders[orphan["signal"]].add(orphan["sender"])
        for dispatch in stats.get("dispatches") or ():
            for skipped in dispatch.get("not_called") or ():
                key = (dispatch["signal"], skipped["name"])
                sender = dispatch.get("sender") or ""
                activity.not_called[key][sender].add(skipped["reason"])
        return activity

    def runs_of(self, signal: str, name: str, *connected_for: str | None) -> int:
        """Runs of receiver ``name`` for its connections to ``signal`` for
        the senders ``connected_for`` (None: any sender), each send once."""
        return sum(
            count
            for sender, count in self.runs.get((signal, name), {}).items()
            if any(_counts_for(connected, sender) for connected in connected_for)
        )

    def status(self, signal: str, receiver: dict[str, Any]) -> tuple[int, str | None]:
        """(runs, why it never ran) of a registry receiver of ``signal``: its
        runs for the sender it is connected for, not its other connections'."""
        name = receiver["name"]
        connected_for = receiver.get("sender")
        runs = self.runs_of(signal, name, connected_for)
        if runs:
            return runs, None
        if name == GARBAGE_COLLECTED:
            return 0, DEAD_WEAK
        if signal not in self.senders:
            return 0, NOT_SENT
        if any(
            NOT_REACHED in reasons
            for sender, reasons in self.not_called.get((signal, name), {}).items()
            if _counts_for(connected_for, sender)
        ):
            return 0, NOT_REACHED
        senders = self.senders[signal]
        if connected_for is not None and connected_for not in senders:
            return 0, f"sent only by {_senders(senders)}"
        return 0, CONNECTED_LATER


def _counts_for(connected_for: str | None, sender: str) -> bool:
    """Whether a send by ``sender`` reached a connection for ``connected_for``:
    any send for a connection to any sender; for a connection to one sender,
    that sender's sends, those grouped as many senders, and any when the
    connection's sender could not be found (``<object id ...>``)."""
    return (
        connected_for is None
        or sender in (connected_for, MANY_SENDERS)
        or connected_for.startswith(UNKNOWN_SENDER)
    )


def _senders(senders: set[str]) -> str:
    shown = sorted(senders)[:5]
    more = f" and {len(senders) - 5} more" if len(senders) > 5 else ""
    return ("sender " if len(senders) == 1 else "senders ") + ", ".join(shown) + more


def receiver_statuses(
    registry: list[dict[str, Any]], stats: dict[str, Any]
) -> list[dict[str, Any]]:
    """A copy of ``registry`` for the recording of ``stats``: whether each
    signal was sent (``fired``), each receiver's ``runs`` and ``not_run``
    (why not). The registry itself is left as it is: it may be shared."""
    activity = Activity.of(stats)
    statuses = []
    for entry in registry:
        signal = entry["signal"]
        receivers = []
        for receiver in entry["receivers"]:
            runs, not_run = activity.status(signal, receiver)
            receivers.append({**receiver, "runs": runs, "not_run": not_run})
        statuses.append(
            {**entry, "fired": signal in activity.senders, "receivers": receivers}
        )
    return statuses


@dataclass
class Explanation:
    """How often a receiver ran in a recording and, if never, why."""

    receiver: str
    runs: int
    reasons: list[str]

    def __str__(self) -> str:
        if self.runs:
            return f"{self.receiver} ran {self.runs}x"
        return "\n  ".join([f"{self.receiver} did not run:", *self.reasons])


def explain(receiver: Any, stats: dict[str, Any], describer: Describer) -> Explanation:
    """Why ``receiver`` (the object connected) ran, or did not, in the
    recording whose document is ``stats``: its runs for the senders it is
    connected for (all its runs if it is connected no more)."""
    name = callable_name(receiver)
    activity = Activity.of(stats)
    key = _make_id(receiver)
    connections: dict[str, list[str | None]] = {}
    for signal, signal_name in known_signals().values():
        for entry in list(signal.receivers):
            if entry[0][0] != key and _deref(entry[1]) is not receiver:
                continue
            connected_for = connected_sender(
                entry[0][1], entry[2] if len(entry) == 4 else None, describer
            )
            connections.setdefault(signal_name, []).append(connected_for)
    if connections:
        runs = sum(
            activity.runs_of(signal_name, name, *senders)
            for signal_name, senders in connections.items()
        )
    else:
        runs = sum(
            sum(senders.values())
            for (_, ran), senders in activity.runs.items()
            if ran == name
        )
    if runs:
        return Explanation(name, runs, [])
    reasons = []
    for signal_name, senders in connections.items():
        for connected_for in senders:
            identity = {"name": name, "sender": connected_for}
            _, why = activity.status(signal_name, identity)
            reasons.append(f"{signal_name}: {why}")
    return Explanation(name, 0, reasons or ["not connected to any signal"])


def _deref(ref: Any) -> Any:
    return ref() if isinstance(ref, weakref.ReferenceType) else ref
