"""What a recording leaves out: the signals ``IGNORE_SIGNALS`` names, and
the toolbar's own models (its DatabaseStore's writes), by id for the hot
path."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from signal_panel.conf import Config
from signal_panel.sources.signal_names import known_signals

# Config -> (the known_signals() mapping resolved from, the ignored ids).
_ignored: dict[Config, tuple[dict[int, Any], frozenset[int]]] = {}

_toolbar_models: list[frozenset[int]] = []


def ignored_signal_ids(config: Config) -> frozenset[int]:
    """ids of the known signals that ``config`` ignores; resolved again once
    new modules (and so, maybe, new signals) were imported."""
    signals = known_signals()
    cached = _ignored.get(config)
    if cached is not None and cached[0] is signals:
        return cached[1]
    ids = frozenset(key for key, (_, name) in signals.items() if config.ignores(name))
    if len(_ignored) >= 64:
        _ignored.clear()
    _ignored[config] = (signals, ids)
    return ids


def toolbar_model_ids() -> frozenset[int]:
    """ids of the toolbar's own models (its DatabaseStore): never recorded."""
    if _toolbar_models:
        return _toolbar_models[0]
    if not apps.ready:
        return frozenset()
    ids = frozenset(
        id(model)
        for model in (
            apps.get_app_config("debug_toolbar").get_models()
            if apps.is_installed("debug_toolbar")
            else ()
        )
    )
    _toolbar_models.append(ids)
    return ids
