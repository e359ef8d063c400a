"""A signal is named after the module that defines it, not after one that
re-exports it: ``from django.core.signals import setting_changed`` in a
package's ``signals`` module (which also defines signals of its own) leaves
``setting_changed`` Django's, whatever the import order."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.signals import setting_changed
from django.db.models.signals import post_save

from signal_panel.sources.signal_names import scan_signals, signal_name

PACKAGE = "sp_reexporting"


@pytest.fixture
def reexporting(tmp_path: Path) -> Iterator[str]:
    """A package whose ``signals`` module re-exports Django's signals and
    defines one of its own (as a class attribute too), imported by its
    ``__init__``; removed again afterwards."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text(f"from {PACKAGE} import signals\n")
    (package / "signals.py").write_text(
        textwrap.dedent(
            """
            from django.core.signals import setting_changed
            from django.db.models.signals import post_save
            from django.dispatch import Signal

            own = Signal()


            class Hooks:
                ready: Signal = Signal()
                changed = setting_changed
            """
        )
    )
    (package / "late.py").write_text(
        f"from {PACKAGE}.signals import Hooks, own, setting_changed\nalias = own\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield PACKAGE
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]
        scan_signals()


def test_a_reexported_signal_keeps_the_name_of_its_definition(reexporting):
    scan_signals()  # a scan before the import
    module = importlib.import_module(f"{reexporting}.signals")
    scan_signals()
    assert module.setting_changed is setting_changed
    assert signal_name(setting_changed) == "django.core.signals.setting_changed"
    assert signal_name(post_save) == "django.db.models.signals.post_save"
    assert signal_name(module.own) == f"{reexporting}.signals.own"
    assert signal_name(module.Hooks.ready) == f"{reexporting}.signals.Hooks.ready"


def test_whatever_imports_it_later(reexporting):
    importlib.import_module(reexporting)
    late = importlib.import_module(f"{reexporting}.late")
    scan_signals()
    assert signal_name(late.setting_changed) == "django.core.signals.setting_changed"
    assert signal_name(late.alias) == f"{reexporting}.signals.own"
    assert signal_name(late.Hooks.ready) == f"{reexporting}.signals.Hooks.ready"
