"""The ``SIGNAL_PANEL`` setting: defaults, validation and the resolved config."""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

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
    # "auto": record through copies of Django's own Signal methods compiled
    # with the recorder in them, when they can be verified; "wrappers": never
    # compile, wrap Django's methods instead (see docs/compatibility.md).
    "INSTRUMENTATION": "auto",
    # Record the sends of threads started inside a recording (Thread.start,
    # ThreadPoolExecutor.submit) in it, marked with the thread's name.
    "THREADS": True,
}
INSTRUMENTATIONS = ("auto", "wrappers")

# The toolbar's own machinery, always ignored.
TOOLBAR_SIGNALS = (
    "debug_toolbar.toolbar.DebugToolbar._created",
    "debug_toolbar.panels.staticfiles.record_static_file_signal",
)


@dataclass(frozen=True)
class Config:
    """What a recording keeps. ``Config()`` is what no ``SIGNAL_PANEL`` gives."""

    ignore_signals: tuple[str, ...] = tuple(DEFAULTS["IGNORE_SIGNALS"])
    max_detailed: int = DEFAULTS["MAX_DETAILED"]
    detailed_per_group: int = DEFAULTS["DETAILED_PER_GROUP"]
    repr_length: int = DEFAULTS["REPR_LENGTH"]
    capture_call_site: bool = DEFAULTS["CAPTURE_CALL_SITE"]
    editor_url: str | None = DEFAULTS["EDITOR_URL"]
    hide_keys: tuple[str, ...] = tuple(DEFAULTS["HIDE_KEYS"])
    instrumentation: str = DEFAULTS["INSTRUMENTATION"]
    threads: bool = DEFAULTS["THREADS"]

    def __post_init__(self) -> None:
        # Lists (as in the setting) become tuples: a Config is hashable.
        for name in ("ignore_signals", "hide_keys"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def ignores(self, signal_name: str) -> bool:
        """Whether ``signal_name`` is never recorded: the toolbar's own signals,
        and those matching ``ignore_signals``."""
        return signal_name in TOOLBAR_SIGNALS or any(
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
        ignore_signals=tuple(merged["IGNORE_SIGNALS"]),
        max_detailed=merged["MAX_DETAILED"],
        detailed_per_group=merged["DETAILED_PER_GROUP"],
        repr_length=merged["REPR_LENGTH"],
        capture_call_site=merged["CAPTURE_CALL_SITE"],
        editor_url=merged["EDITOR_URL"],
        hide_keys=tuple(merged["HIDE_KEYS"]),
        instrumentation=merged["INSTRUMENTATION"],
        threads=merged["THREADS"],
    )


# Schemes an EDITOR_URL may use: the web, local files, and editors' own.
EDITOR_SCHEMES = frozenset(
    {
        "http",
        "https",
        "file",
        "vscode",
        "vscode-insiders",
        "vscodium",
        "cursor",
        "windsurf",
        "zed",
        "pycharm",
        "idea",
        "jetbrains",
        "subl",
        "sublime",
        "txmt",
        "mvim",
        "emacs",
        "atom",
        "nova",
        "netbeans",
        "kate",
    }
)
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile("([a-zA-Z][a-zA-Z0-9+.-]*):")


def editor_url_scheme(template: object) -> str | None:
    """The scheme of an ``EDITOR_URL`` as a browser reads it, lowercased.

    Browsers strip leading and trailing control characters and spaces and
    drop tabs and newlines anywhere before parsing a URL, so
    ``"java\tscript:"`` is ``javascript:`` to them. ``""`` for a relative URL,
    None if ``template`` is not a string.
    """
    if not isinstance(template, str):
        return None
    url = _TAB_OR_NEWLINE.sub("", template.strip(_C0_OR_SPACE))
    match = _SCHEME.match(url)
    return match[1].lower() if match else ""


def is_safe_editor_url(template: object) -> bool:
    """Whether ``template`` may become a link: an allowed scheme, or relative."""
    scheme = editor_url_scheme(template)
    return scheme == "" or scheme in EDITOR_SCHEMES


def _reset_config(*, setting: str, **kwargs: Any) -> None:
    if setting == "SIGNAL_PANEL":
        get_config.cache_clear()


setting_changed.connect(_reset_config)
