"""Reading a stats document defensively: the one set of readers.

A document may come from an older or newer version of this package, from
another process through the toolbar's store, or damaged: a missing field, an
unknown one or a value of the wrong type reads as empty, zero or ``None``,
never as an error. The view, the text report and the sums across documents
read with these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

# A JSON object of a stats document, as the store gives it back.
Document = Mapping[str, Any]


def finite(value: object) -> float | None:
    """``value`` if it is a finite JSON number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def number(value: object) -> float:
    """``value`` if it is a finite JSON number (not a bool), else 0."""
    found = finite(value)
    return 0.0 if found is None else found


def whole(value: object, default: int = 0) -> int:
    """``value`` as a whole number; ``default`` unless it is a finite number."""
    found = finite(value)
    return default if found is None else int(found)


def mapping(value: object) -> Document:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def objects(value: object) -> list[Document]:
    """The JSON objects in the list ``value``; anything else is skipped."""
    return [item for item in items(value) if isinstance(item, Mapping)]


def items(value: object) -> Sequence[Any]:
    """``value`` if it is a JSON list, else an empty one."""
    return value if isinstance(value, list | tuple) else ()
