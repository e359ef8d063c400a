"""The Groups and Registry tabs' view model, read from a stats document.

Plain, typed data, tolerant of documents of any shape, as
:mod:`signal_panel.view_model` explains.
"""

from __future__ import annotations

from dataclasses import dataclass

from signal_panel.scan import signal_family
from signal_panel.view_model import (
    Document,
    editor_link,
    family_of,
    ident,
    number,
    objects,
    text,
    whole,
)

# The Groups tab ---------------------------------------------------------------


@dataclass(slots=True)
class GroupReceiver:
    """A receiver's share of a group."""

    name: str
    total_ms: float
    queries: int


@dataclass(slots=True)
class Group:
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
    def of(cls, group: Document) -> Group:
        signal = text(group.get("signal"))
        return cls(
            id=ident(group.get("id")),
            signal=signal,
            sender=text(group.get("sender")),
            family=signal_family(signal),
            receivers=tuple(
                GroupReceiver(
                    text(receiver.get("name")),
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


def groups_in(stats: Document) -> list[Group]:
    """The document's groups, the most time-consuming first."""
    every = [Group.of(group) for group in objects(stats.get("groups"))]
    return sorted(every, key=lambda group: -group.total_ms)


@dataclass(slots=True)
class Orphan:
    """Sends of one signal and sender that found no receiver."""

    signal: str
    sender: str
    count: int


def orphans_in(stats: Document) -> list[Orphan]:
    return [
        Orphan(
            text(orphan.get("signal")),
            text(orphan.get("sender")),
            whole(orphan.get("count")),
        )
        for orphan in objects(stats.get("orphans"))
    ]


# The Registry tab -------------------------------------------------------------


@dataclass(slots=True)
class RegisteredReceiver:
    """A receiver connected to a signal, as the process had it."""

    name: str
    sender: str
    file: str
    line: str
    url: str | None
    weak: bool
    dispatch_uid: str
    is_async: bool

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(slots=True)
class RegistryEntry:
    """A signal known to the process, with its connected receivers."""

    signal: str
    family: str
    fired: bool
    receivers: tuple[RegisteredReceiver, ...]
    search: str


def registry_in(stats: Document, editor_url: object) -> list[RegistryEntry] | None:
    """The registry, or ``None`` for a document recorded without one."""
    entries = stats.get("registry")
    if not isinstance(entries, list):
        return None
    return [_registry_entry(entry, editor_url) for entry in objects(entries)]


def _registry_entry(entry: Document, editor_url: object) -> RegistryEntry:
    signal = text(entry.get("signal"))
    family = family_of(entry, signal)
    receivers = tuple(
        RegisteredReceiver(
            name=text(receiver.get("name")),
            sender=text(receiver.get("sender")),
            file=text(receiver.get("file")),
            line=text(receiver.get("line") or None),
            url=editor_link(editor_url, receiver.get("file"), receiver.get("line")),
            weak=bool(receiver.get("weak")),
            dispatch_uid=text(receiver.get("dispatch_uid")),
            is_async=bool(receiver.get("is_async")),
        )
        for receiver in objects(entry.get("receivers"))
    )
    words = [signal, family, *(receiver.name for receiver in receivers)]
    return RegistryEntry(
        signal, family, bool(entry.get("fired")), receivers, " ".join(words).lower()
    )
