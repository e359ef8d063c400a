"""System checks: bad ``SIGNAL_PANEL`` values fail at start-up, not per request."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from signal_panel.analysis.wiring import unimported_receiver_modules
from signal_panel.conf import DEFAULTS, INSTRUMENTATIONS, is_safe_editor_url


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_str_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


_VALIDATORS = {
    "IGNORE_SIGNALS": (_is_str_list, "a list of dotted paths or patterns"),
    "MAX_DETAILED": (_is_positive_int, "a positive integer"),
    "DETAILED_PER_GROUP": (_is_positive_int, "a positive integer"),
    "REPR_LENGTH": (
        lambda v: _is_positive_int(v) and v >= 20,
        "an integer of at least 20",
    ),
    "CAPTURE_CALL_SITE": (lambda v: isinstance(v, bool), "True or False"),
    "EDITOR_URL": (
        lambda v: (
            v is None
            or (isinstance(v, str) and "{path}" in v and is_safe_editor_url(v))
        ),
        'None or a string containing "{path}" (and optionally "{line}") whose '
        "scheme is an editor's, file, http or https",
    ),
    "HIDE_KEYS": (_is_str_list, "a list of regular expressions"),
    "THREADS": (lambda v: isinstance(v, bool), "True or False"),
    "INSTRUMENTATION": (
        lambda v: v in INSTRUMENTATIONS,
        " or ".join(repr(name) for name in INSTRUMENTATIONS),
    ),
}


def check_settings(**kwargs: Any) -> list[Error | Warning]:
    value = getattr(settings, "SIGNAL_PANEL", {})
    if not isinstance(value, dict):
        return [
            Error(
                "SIGNAL_PANEL must be a dict.",
                hint=f"Got {type(value).__name__}.",
                id="signal_panel.E001",
            )
        ]
    errors: list[Error | Warning] = []
    for key in value.keys() - DEFAULTS.keys():
        errors.append(
            Error(
                f"SIGNAL_PANEL[{key!r}] is not a setting of signal_panel.",
                hint="Known settings: " + ", ".join(sorted(DEFAULTS)),
                id="signal_panel.E002",
            )
        )
    for key, (is_valid, expected) in _VALIDATORS.items():
        if key in value and not is_valid(value[key]):
            errors.append(
                Error(
                    f"SIGNAL_PANEL[{key!r}] must be {expected}.",
                    hint=f"Got {value[key]!r}.",
                    id="signal_panel.E003",
                )
            )
    for pattern in (
        value.get("HIDE_KEYS", ()) if _is_str_list(value.get("HIDE_KEYS", ())) else ()
    ):
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append(
                Error(
                    f"SIGNAL_PANEL['HIDE_KEYS'] has an invalid pattern "
                    f"{pattern!r}: {exc}.",
                    id="signal_panel.E004",
                )
            )
    return errors


def check_panels(**kwargs: Any) -> list[Warning]:
    panels = getattr(settings, "DEBUG_TOOLBAR_PANELS", None)
    if panels is None or "signal_panel.panel.SignalPanel" not in panels:
        return []
    if "debug_toolbar.panels.signals.SignalsPanel" in panels:
        return [
            Warning(
                "Both signal_panel's SignalPanel and the toolbar's SignalsPanel "
                "are enabled.",
                hint="Remove 'debug_toolbar.panels.signals.SignalsPanel': "
                "SignalPanel's registry view lists connected receivers too.",
                id="signal_panel.W001",
            )
        ]
    return []


def check_receiver_modules(**kwargs: Any) -> list[Warning]:
    """An app's signals/receivers/handlers module that connects receivers
    but that nothing imported: its receivers never run."""
    return [
        Warning(
            f"{module} connects signal receivers but was never imported: its "
            "receivers never run.",
            hint=f"Import it in the ready() method of {label}'s AppConfig.",
            obj=module,
            id="signal_panel.W002",
        )
        for label, module in unimported_receiver_modules()
    ]


register(check_settings)
register(check_panels)
register(check_receiver_modules)
