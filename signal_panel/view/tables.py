"""The Groups and Registry tabs' view model, read from a stats document.

Plain, typed data, tolerant of documents of any shape, as
:mod:`signal_panel.view.model` explains.
"""

from __future__ import annotations

from dataclasses import dataclass

from signal_panel.analysis.reading import Document, number, objects, whole
from signal_panel.sources.owners import rank
from signal_panel.sources.signal_names import signal_family
from signal_panel.view.model import Location, Sources, family_of, ident, text

# The Groups tab ---------------------------------------------------------------


@dataclass(slots=True)
class GroupReceiver:
    """A receiver's share of a group."""

    name: str
    runs: int | None  # None in documents that do not count them
    total_ms: float
    queries: int


@dataclass(slots=True)
class GroupRow:
    """Every dispatch with the same signal, sender and receivers."""

    id: str | None
    signal: str
    sender: str
    family: str
    receivers: tuple[GroupReceiver, ...]
    count: int
    detailed: int
    total_ms: float
    mean_ms: float
    max_ms: float
    errors: int

    @classmethod
    def of(cls, group: Document) -> GroupRow:
        signal = text(group.get("signal"))
        return cls(
            id=ident(group.get("id")),
            signal=signal,
            sender=text(group.get("sender")),
            family=signal_family(signal),
            receivers=tuple(
                GroupReceiver(
                    text(receiver.get("name")),
                    None if receiver.get("runs") is None else whole(receiver["runs"]),
                    number(receiver.get("total_ms")),
                    whole(receiver.get("queries")),
                )
                for receiver in objects(group.get("receivers"))
            ),
            count=whole(group.get("count")),
            detailed=whole(group.get("detailed")),
            total_ms=number(group.get("total_ms")),
            mean_ms=number(group.get("mean_ms")),
            max_ms=number(group.get("max_ms")),
            errors=whole(group.get("errors")),
        )

    @property
    def search(self) -> str:
        """What the panel's filter matches, lowercased, as a dispatch's."""
        names = (receiver.name for receiver in self.receivers)
        return " ".join((self.signal, self.sender, self.family, *names)).lower()


def groups_in(stats: Document) -> list[GroupRow]:
    """The document's groups, the most time-consuming first."""
    every = [GroupRow.of(group) for group in objects(stats.get("groups"))]
    return sorted(every, key=lambda group: -group.total_ms)


@dataclass(slots=True)
class Unrun:
    """A receiver connected to a signal that did not run, and why."""

    name: str
    reason: str


@dataclass(slots=True)
class OrphanRow:
    """Sends of one signal and sender that found no receiver, and the
    receivers connected to that signal when the stats were built."""

    signal: str
    sender: str
    count: int
    receivers: tuple[Unrun, ...]

    @property
    def search(self) -> str:
        """What the panel's filter matches, lowercased, as a dispatch's."""
        names = (receiver.name for receiver in self.receivers)
        family = signal_family(self.signal)
        return " ".join((self.signal, self.sender, family, *names)).lower()


def orphans_in(stats: Document) -> list[OrphanRow]:
    return [
        OrphanRow(
            text(orphan.get("signal")),
            text(orphan.get("sender")),
            whole(orphan.get("count")),
            tuple(
                Unrun(text(receiver.get("name")), text(receiver.get("reason")))
                for receiver in objects(orphan.get("receivers"))
            ),
        )
        for orphan in objects(stats.get("orphans"))
    ]


# The Registry tab -------------------------------------------------------------


# In documents without owners: the project's own signals first, then
# third-party ones (the toolbar's among them), then Django's.
REGISTRY_ORDER = {"custom": 0, "third-party": 1}


@dataclass(slots=True)
class RegisteredReceiver:
    """A receiver connected to a signal, as the process had it."""

    name: str
    sender: str
    source: Location | None
    weak: bool
    dispatch_uid: str
    is_async: bool
    runs: int | None  # in this request; None in documents that do not say
    not_run: str  # why it never ran, if it did not
    count: int  # identical connections folded into this one (12 instances' method)


@dataclass(slots=True)
class RegistryEntry:
    """A signal known to the process, with its connected receivers."""

    signal: str
    family: str
    fired: bool
    model_signal: bool
    receivers: tuple[RegisteredReceiver, ...]
    search: str


def registry_in(stats: Document, sources: Sources) -> list[RegistryEntry] | None:
    """The registry, or ``None`` for a document recorded without one: the
    project's signals first, then installed packages', then Django's, the
    toolbar's last; by name within each."""
    entries = stats.get("registry")
    if not isinstance(entries, list):
        return None
    return [
        _registry_entry(entry, sources)
        for entry in sorted(objects(entries), key=_registry_order)
    ]


def _registry_order(entry: Document) -> tuple[int, str]:
    signal = text(entry.get("signal"))
    owner = entry.get("owner")
    if isinstance(owner, dict):
        return rank({"kind": text(owner.get("kind"))}), signal
    return REGISTRY_ORDER.get(family_of(entry, signal), 2), signal


def _registry_entry(entry: Document, sources: Sources) -> RegistryEntry:
    signal = text(entry.get("signal"))
    family = family_of(entry, signal)
    receivers = tuple(
        RegisteredReceiver(
            name=text(receiver.get("name")),
            sender=text(receiver.get("sender")),
            source=sources.locate(receiver.get("file"), receiver.get("line"))
            if receiver.get("file")
            else None,
            weak=bool(receiver.get("weak")),
            dispatch_uid=text(receiver.get("dispatch_uid")),
            is_async=bool(receiver.get("is_async")),
            runs=None if receiver.get("runs") is None else whole(receiver["runs"]),
            not_run=text(receiver.get("not_run")),
            count=max(1, whole(receiver.get("count", 1))),
        )
        for receiver in objects(entry.get("receivers"))
    )
    words = [signal, family, *(receiver.name for receiver in receivers)]
    return RegistryEntry(
        signal,
        family,
        bool(entry.get("fired")),
        bool(entry.get("model_signal")),
        receivers,
        " ".join(words).lower(),
    )
