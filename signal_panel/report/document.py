"""The parts of a stats document the text uses, read defensively.

Documents may be older or newer than this code, or damaged: a missing field,
an unknown one or a value of the wrong type is skipped, never fatal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from signal_panel.analysis.reading import finite, items, mapping, objects
from signal_panel.report.lines import WIDTH, clean


class ReportData:
    """The parts of a stats document the text uses, each of the expected type."""

    def __init__(
        self,
        stats: Mapping[str, Any],
        width: int = WIDTH,
        markers: Iterable[tuple[float, str]] = (),
    ) -> None:
        self.width = width
        self.markers = sorted(markers)
        self.version = stats.get("version")
        self.summary = mapping(stats.get("summary"))
        self.dispatches = objects(stats.get("dispatches"))
        self.groups = objects(stats.get("groups"))
        self.orphans = objects(stats.get("orphans"))
        self.failures = [clean(f) for f in items(stats.get("failures"))]
        self.findings = objects(stats.get("findings"))


def receivers_of(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return objects(item.get("receivers"))


def ms_text(value: Any) -> str | None:
    found = finite(value)
    return f"{found:.3f}" if found is not None else None
