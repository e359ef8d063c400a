"""The ``SIGNAL_PANEL`` setting: defaults, validation and the resolved config."""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # Dotted paths or fnmatch patterns of signals never recorded. Django sends
    # template_rendered only for test and toolbar instrumentation.
    "IGNORE_SIGNALS": ["django.test.signals.template_rendered"],
    # Detailed dispatch records kept per recording; beyond it only counts.
    "MAX_DETAILED": 500,
    # Detailed records kept per group of identical dispatches (plus the slowest).
    "DETAILED_PER_GROUP": 10,
    # Longest text kept for one recorded value.
    "REPR_LENGTH": 200,
    # Record the file and line that sent each detailed dispatch.
    "CAPTURE_CALL_SITE": True,
    # e.g. "vscode://file/{path}:{line}"; None shows plain text.
    "EDITOR_URL": None,
    # Extra regular expressions for keyword names whose values are masked.
    "HIDE_KEYS": [],
}

# The toolbar's own machinery, always ignored.
TOOLBAR_SIGNALS = (
    "debug_toolbar.toolbar.DebugToolbar._created",
    "debug_toolbar.panels.staticfiles.record_static_file_signal",
)


@dataclass(frozen=True)
class Config:
    ignore_signals: tuple[str, ...] = ()
    max_detailed: int = DEFAULTS["MAX_DETAILED"]
    detailed_per_group: int = DEFAULTS["DETAILED_PER_GROUP"]
    repr_length: int = DEFAULTS["REPR_LENGTH"]
    capture_call_site: bool = DEFAULTS["CAPTURE_CALL_SITE"]
    editor_url: str | None = None
    hide_keys: tuple[str, ...] = field(default_factory=tuple)

    def ignores(self, signal_name: str) -> bool:
        return any(
            fnmatch.fnmatchcase(signal_name, pattern) for pattern in self.ignore_signals
        )


def user_settings() -> dict[str, Any]:
    value = getattr(settings, "SIGNAL_PANEL", None) if settings.configured else None
    return value if isinstance(value, dict) else {}


@functools.cache
def get_config() -> Config:
    """The resolved settings. Invalid values are reported by ``checks``."""
    merged = {**DEFAULTS, **user_settings()}
    return Config(
        ignore_signals=tuple(merged["IGNORE_SIGNALS"]) + TOOLBAR_SIGNALS,
        max_detailed=merged["MAX_DETAILED"],
        detailed_per_group=merged["DETAILED_PER_GROUP"],
        repr_length=merged["REPR_LENGTH"],
        capture_call_site=merged["CAPTURE_CALL_SITE"],
        editor_url=merged["EDITOR_URL"],
        hide_keys=tuple(merged["HIDE_KEYS"]),
    )


@receiver(setting_changed)
def _reset_config(*, setting: str, **kwargs: Any) -> None:
    if setting == "SIGNAL_PANEL":
        get_config.cache_clear()
        from signal_panel import capture

        capture.refresh_ignored()
