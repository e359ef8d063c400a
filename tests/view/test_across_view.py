"""The panel's "Across requests" tab: its content, served under the
toolbar's URLs from every stored document, fetched only when opened."""

import re

import pytest
from debug_toolbar.store import get_store

from tests.integration.test_panel import STORES, render_panel, request_id

COMMENT = "tests.testapp.receivers.comment_on_new_article"
ACROSS = "/__debug__/signal_panel/across/"


@pytest.fixture(params=STORES, ids=lambda path: path.rsplit(".", 1)[-1])
def store(request, settings):
    settings.DEBUG_TOOLBAR_CONFIG = {
        **settings.DEBUG_TOOLBAR_CONFIG,
        "TOOLBAR_STORE_CLASS": request.param,
    }
    get_store().clear()
    yield request.param
    get_store().clear()


def across_content(client, response=None) -> str:
    params = {"panel_id": "SignalPanel"}
    if response is not None:
        params["request_id"] = request_id(response)
    answer = client.get(ACROSS, params)
    assert answer.status_code == 200
    return answer.json()["content"]


def row_of(content: str, receiver: str) -> list[str]:
    """The cells' sort values of ``receiver``'s row."""
    pattern = rf'<tr class="djdt-sp-across-row[^"]*"[^>]*data-sp-receiver="{receiver}">'
    row = re.search(f"{pattern}(.*?)</tr>", content, re.S)
    assert row, f"no row for {receiver}"
    return re.findall(r'data-sp-sort="([^"]*)"', row[1])


@pytest.mark.django_db(transaction=True)
def test_totals_are_the_sum_of_the_stored_requests(client, store):
    responses = [client.get(f"/articles/create/?title=T{i}") for i in range(3)]
    responses.append(client.get("/custom/"))
    documents = [get_store().panel(request_id(r), "SignalPanel") for r in responses]
    mine = [
        receiver
        for document in documents
        for group in document["groups"]
        for receiver in group["receivers"]
        if receiver["name"] == COMMENT
    ]
    runs = sum(receiver["runs"] for receiver in mine)
    total = sum(receiver["total_ms"] for receiver in mine)

    content = across_content(client, responses[-1])

    assert "Over the last 4 requests the toolbar keeps" in content
    signal, name, owner, calls, requests, total_ms, *_ = row_of(content, COMMENT)
    assert (signal, name, owner) == (
        "django.db.models.signals.post_save",
        COMMENT,
        "your project",
    )
    assert int(calls) == runs == 3
    assert int(requests) == 3
    assert float(total_ms) == pytest.approx(total, abs=1e-3)
    assert "tests.testapp.receivers.announce" in content  # /custom/'s receiver
    # Dotted names wrap at their dots, never inside a word.
    assert "<code>django.<wbr>db.<wbr>models.<wbr>signals.<wbr>post_save</code>" in (
        content
    )


@pytest.mark.django_db(transaction=True)
def test_the_panel_only_links_to_the_tab(client, store):
    response = client.get("/articles/create/?title=Lazy")
    content = render_panel(client, response)
    assert "Across requests" in content
    assert f'data-sp-across-url="{ACROSS}"' in content
    assert "djdt-sp-across-row" not in content  # computed only when opened


@pytest.mark.django_db(transaction=True)
def test_no_stored_request(client, store):
    assert "No receiver ran in these requests." in across_content(client)


def test_only_where_the_toolbar_shows(client):
    assert client.get(ACROSS, headers={"x-no-toolbar": "1"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_values_are_escaped(client, store):
    get_store().set("evil")
    get_store().save_panel(
        "evil",
        "SignalPanel",
        {
            "groups": [
                {
                    "signal": "<script>alert(1)</script>",
                    "receivers": [{"name": '"><img src=x>', "runs": 1, "total_ms": 1}],
                }
            ],
            "orphans": [{"signal": "<b>x</b>", "sender": "<i>", "count": 2}],
        },
    )
    content = across_content(client)
    assert "<script>alert" not in content
    assert "<img" not in content
    assert "<b>x</b>" not in content
    assert "&lt;script&gt;" in content


@pytest.mark.django_db(transaction=True)
def test_the_costliest_request_is_named_by_the_history_panel(client, store):
    cheap = client.get("/custom/")
    costly = client.get("/articles/create/?title=Costly")
    get_store().save_panel(
        request_id(costly),
        "HistoryPanel",
        {"request_url": "/articles/create/", "request_method": "POST"},
    )
    content = across_content(client)
    assert request_id(cheap) != request_id(costly)
    # No History panel in these settings: named, nothing to switch through
    # (the browser tests switch).
    assert "POST /articles/create/</span>" in content
    assert "data-sp-switch" not in content
