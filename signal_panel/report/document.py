"""The parts of a stats document the text uses, read defensively.

Documents may be older or newer than this code, or damaged: a missing field,
an unknown one or a value of the wrong type is skipped, never fatal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from signal_panel.report.lines import WIDTH, clean


class Document:
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
        self.summary = as_mapping(stats.get("summary"))
        self.dispatches = mappings(stats.get("dispatches"))
        self.groups = mappings(stats.get("groups"))
        self.orphans = mappings(stats.get("orphans"))
        self.failures = [clean(f) for f in as_list(stats.get("failures"))]
        self.findings = mappings(stats.get("findings"))


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in as_list(value) if isinstance(item, Mapping)]


def receivers_of(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return mappings(item.get("receivers"))


def number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def integer(value: Any, default: int = 0) -> int:
    found = number(value)
    return int(found) if found is not None else default


def ms_text(value: Any) -> str | None:
    found = number(value)
    return f"{found:.3f}" if found is not None else None
