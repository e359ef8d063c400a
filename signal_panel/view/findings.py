"""The findings' view model: the classic mistakes the recorder found.

Read from the document's ``findings`` (``signal_panel.analysis.findings`` makes them
when the stats are built), with what the panel can link each one to: the
dispatches concerned that are kept in detail (a row to open), and the
signal and receiver in the Registry tab (a row to highlight); and whose
code each is about, the project's own first, installed packages' apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from signal_panel.analysis.reading import Document, items, mapping, objects
from signal_panel.sources.owners import DJANGO, PACKAGE, describe_owner
from signal_panel.view.model import ident, text
from signal_panel.view.tables import RegistryEntry


@dataclass(slots=True)
class Finding:
    """A mistake, where it shows, and its one-line fix."""

    kind: str
    title: str
    detail: str
    fix: str
    signal: str
    receiver: str
    # The dispatches concerned kept in detail: (id, signal's short name).
    dispatches: tuple[tuple[str, str], ...]
    not_kept: tuple[str, ...]  # ids of those not kept in detail
    in_registry: bool  # its signal (and receiver) are in the Registry tab
    # Whose code: "project", "package", "django", ... ("" if not said), and
    # its name for people: "your project", "pagesearch 1.4.2".
    owner_kind: str = ""
    owner: str = ""

    @property
    def installed(self) -> bool:
        """About an installed package's code (or Django's): not the user's."""
        return self.owner_kind in (PACKAGE, DJANGO)


def findings_in(
    stats: Document, rows: Mapping[str, str], registry: list[RegistryEntry] | None
) -> list[Finding]:
    """The document's findings, in its order (most serious first); ``rows``
    maps the ids of the dispatches kept in detail to their short names."""
    listed = {
        (entry.signal, receiver.name)
        for entry in registry or ()
        for receiver in entry.receivers
    } | {(entry.signal, "") for entry in registry or ()}
    found = []
    for finding in objects(stats.get("findings")):
        ids = [ident(each) or "" for each in items(finding.get("dispatches"))]
        signal = text(finding.get("signal"))
        receiver = text(finding.get("receiver"))
        owner = mapping(finding.get("owner"))
        found.append(
            Finding(
                kind=text(finding.get("kind")),
                title=text(finding.get("title")),
                detail=text(finding.get("detail")),
                fix=text(finding.get("fix")),
                signal=signal,
                receiver=receiver,
                dispatches=tuple((each, rows[each]) for each in ids if each in rows),
                not_kept=tuple(each for each in ids if each not in rows),
                in_registry=bool(signal) and (signal, receiver) in listed,
                owner_kind=text(owner.get("kind")),
                owner=text(describe_owner(dict(owner))) if owner else "",
            )
        )
    # The project's own first (documents before owners are all its own).
    return sorted(found, key=lambda finding: finding.installed)
