"""The Registry on a real project: runs counted per connection, signals named
where they are defined, identical receivers folded, whose code first.

pagesearch (an installed distribution) connects ``update_index`` once per
registered model, re-exports Django's signals from ``pagesearch.signals``
(imported first) and connects 12 backends' ``_clear_cached_properties`` to
``setting_changed``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.signals import setting_changed
from django.db.models.signals import post_save
from pagesearch.index import update_index
from pagesearch.signals import index_updated

from signal_panel import record_signals
from signal_panel.sources.signal_names import signal_name
from tests.realproject.models import Page

UPDATE_INDEX = "pagesearch.index.update_index"
POST_SAVE = "django.db.models.signals.post_save"


def entry_of(registry: list[dict[str, Any]], signal: str) -> dict[str, Any]:
    [entry] = [entry for entry in registry if entry["signal"] == signal]
    return entry


@pytest.fixture
def published(db) -> tuple[Any, dict[str, Any]]:
    """One ``Page.objects.create()``: one post_save, sent by Page only."""
    with record_signals() as recording:
        Page.objects.create(title="Home")
    return recording, recording.to_stats(with_registry=True)


def test_runs_are_counted_per_connection(published):
    recording, stats = published
    rows = {
        receiver["sender"]: receiver
        for receiver in entry_of(stats["registry"], POST_SAVE)["receivers"]
        if receiver["name"] == UPDATE_INDEX
    }
    assert set(rows) == {
        "realproject.Page",
        "realproject.Document",
        "realproject.Image",
    }
    assert rows["realproject.Page"]["runs"] == 1
    assert rows["realproject.Page"]["not_run"] is None
    for other in ("realproject.Document", "realproject.Image"):
        assert rows[other]["runs"] == 0
        assert rows[other]["not_run"].startswith("sent only by ")
        assert "realproject.Page" in rows[other]["not_run"]
    assert str(recording.explain(update_index)) == f"{UPDATE_INDEX} ran 1x"


def test_signals_are_named_where_they_are_defined(published):
    _, stats = published
    names = {entry["signal"] for entry in stats["registry"]}
    assert signal_name(setting_changed) == "django.core.signals.setting_changed"
    assert signal_name(post_save) == POST_SAVE
    assert signal_name(index_updated) == "pagesearch.signals.index_updated"
    assert "django.core.signals.setting_changed" in names
    assert not {name for name in names if name.startswith("pagesearch.signals.")} - {
        "pagesearch.signals.index_updated"
    }
    dispatched = {dispatch["signal"] for dispatch in stats["dispatches"]}
    assert POST_SAVE in dispatched
    assert "pagesearch.signals.post_save" not in dispatched


def test_identical_receivers_are_one_row_with_their_count(published):
    _, stats = published
    receivers = entry_of(stats["registry"], "django.core.signals.setting_changed")[
        "receivers"
    ]
    clear = [
        receiver
        for receiver in receivers
        if receiver["name"] == "pagesearch.backends.Backend._clear_cached_properties"
    ]
    assert len(clear) == 1
    assert clear[0]["count"] == 12
    assert clear[0]["owner"]["distribution"] == "pagesearch"
    # update_index's three connections differ by sender: three rows.
    post_save_rows = entry_of(stats["registry"], POST_SAVE)["receivers"]
    assert [r["name"] for r in post_save_rows].count(UPDATE_INDEX) == 3
    assert all(r["count"] == 1 for r in post_save_rows)


def test_signals_are_listed_by_whose_code_they_are(published):
    _, stats = published
    kinds = [entry["owner"]["kind"] for entry in stats["registry"]]
    order = ["project", "package", "django", "python", "toolbar"]
    assert kinds == sorted(kinds, key=order.index)
    assert kinds[-1] == "toolbar"
    packages = [
        entry["signal"]
        for entry in stats["registry"]
        if entry["owner"]["kind"] == "package"
    ]
    assert "pagesearch.signals.index_updated" in packages
    assert entry_of(stats["registry"], POST_SAVE)["owner"]["kind"] == "django"
