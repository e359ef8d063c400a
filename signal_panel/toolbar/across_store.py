"""The "Across requests" tab's view: every document the toolbar's store
holds, summed (``analysis.across``) and rendered (``view.across``).

Served under the toolbar's own URLs (``SignalPanel.get_urls()``: ddt adds
each panel's URLs to ``debug_toolbar_urls()``), so a project that includes
the toolbar's URLs has it. The panel's script fetches it only when the tab
is opened: the other tabs, and the requests themselves, never pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from debug_toolbar.decorators import render_with_toolbar_language, require_show_toolbar
from debug_toolbar.store import get_store
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse

from signal_panel.analysis.across import across
from signal_panel.view.across import render_across

URL_NAME = "signal_panel_across"
PANEL_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def stored_documents(panel_id: str = "SignalPanel") -> Iterator[tuple[str, Any]]:
    """(request id, document) of every request the store holds, oldest first;
    requests without a document of this panel are left out."""
    store = get_store()
    for request_id in list(store.request_ids()):
        document = store.panel(request_id, panel_id)
        if document:
            # DatabaseStore's ids are UUIDs; the toolbar names requests by hex.
            yield getattr(request_id, "hex", str(request_id)), document


def request_labels(request_ids: set[str]) -> dict[str, str]:
    """ "GET /shop/" for each request whose History panel data is stored."""
    store = get_store()
    labels = {}
    for request_id in request_ids:
        history = store.panel(request_id, "HistoryPanel")
        if isinstance(history, dict) and history.get("request_url"):
            method = str(history.get("request_method") or "")
            labels[request_id] = f"{method} {history['request_url']}".strip()
    return labels


def summary_html(panel_id: str = "SignalPanel", current: str = "") -> str:
    """The tab's content for the store as it is now."""
    stored = len(list(get_store().request_ids()))
    summary = across(stored_documents(panel_id))
    costliest = {
        row["costliest"][0] for row in summary["receivers"] if row.get("costliest")
    }
    try:
        switch = bool(reverse("djdt:history_sidebar"))
    except NoReverseMatch:  # No History panel: nothing to switch through.
        switch = False
    labels = request_labels(costliest)
    return render_across(summary, labels, stored, current, switch=switch)


def _across(request: HttpRequest) -> JsonResponse:
    """``{"content": html}`` of the tab, as ddt's ``render_panel`` answers."""
    panel_id = request.GET.get("panel_id", "SignalPanel")
    if not PANEL_ID.match(panel_id):
        panel_id = "SignalPanel"
    current = request.GET.get("request_id", "")
    return JsonResponse({"content": summary_html(panel_id, current)})


# As ddt's own views: only where the toolbar shows, in the toolbar's language.
across_view: Callable[[HttpRequest], JsonResponse] = login_not_required(
    require_show_toolbar(render_with_toolbar_language(_across))
)
