"""A translation gets whole sentences, so that it can order their words.

The panel's sentences are translated whole (``{% blocktranslate %}`` with
placeholders and plural forms in the templates, ``%(name)s`` formats and
``format_html`` formats translated whole in the dispatch rows' markup),
never assembled from translated words. A stand-in
catalogue that puts each sentence's words in another order shows it: each
sentence comes out in the catalogue's order, its values in place.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from signal_panel.view.render import render_content
from tests.view.test_view import (
    Page,
    call,
    dispatch,
    document,
    finding,
    receiver,
    registered,
)

# msgid: a translation with the words in another order.
CATALOGUE = {
    "ran %(counter)s\N{MULTIPLICATION SIGN} in this request": (
        "in this request: run %(counter)s\N{MULTIPLICATION SIGN}"
    ),
    "#%(id)s (not kept in detail)": "not kept in detail: #%(id)s",
    "In %(name)s's code, not yours": "not yours: the code of %(name)s",
    "%(counter)s finding in installed packages: %(names)s": (
        "installed packages (%(names)s): %(counter)s finding"
    ),
    "%(counter)s findings in installed packages: %(names)s": (
        "installed packages (%(names)s): %(counter)s findings"
    ),
    "%(counter)s query": "queries: %(counter)s",
    "%(counter)s queries": "queries: %(counter)s",
    "#{id}, at {start} ms, took {duration} ms": (
        "took {duration} ms, from {start} ms: #{id}"
    ),
    "{dispatch} from <code>{receiver}</code>": (
        "<code>{receiver}</code> sent it, in {dispatch}"
    ),
    "+%(count)s nested (%(ms)s ms)": "nested: +%(count)s (%(ms)s ms)",
}


@pytest.fixture
def reordered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue above in place of the active language's."""
    real = translation._trans  # type: ignore[attr-defined]
    gettext, ngettext = real.gettext, real.ngettext

    def fake_gettext(message: str) -> str:
        return CATALOGUE.get(message) or gettext(message)

    def fake_ngettext(singular: str, plural: str, number: int) -> str:
        message = singular if number == 1 else plural
        return CATALOGUE.get(message) or ngettext(singular, plural, number)

    monkeypatch.setattr(real, "gettext", fake_gettext)
    monkeypatch.setattr(real, "ngettext", fake_ngettext)


def a_document() -> dict[str, Any]:
    nested = {"count": 3, "time_ms": 1.5}
    nesting = call("shop.receivers.relay", nested_queries=nested)
    return document(
        dispatch(1, "shop.signals.a", receivers=[nesting]),
        dispatch(
            2,
            "shop.signals.b",
            parent=1,
            parent_kept=False,
            parent_receiver="shop.receivers.relay",
        ),
        groups=[
            {
                "id": 0,
                "signal": "shop.signals.a",
                "sender": "x",
                "count": 1,
                "receivers": [
                    {"name": "shop.receivers.relay", "runs": 1, "queries": 2}
                ],
            }
        ],
        findings=[
            finding(
                "sql_per_row",
                dispatches=[1, 77],
                owner={"kind": "package", "name": "pagesearch", "version": "1.4.2"},
            )
        ],
        registry=[
            registered("shop.signals.a", "custom", receiver("shop.receivers.relay"))
        ],
    )


@pytest.mark.usefixtures("reordered")
def test_the_templates_sentences_are_translated_whole():
    page = Page(render_content(a_document()))
    [(_, runs)] = page.find("span", class_="djdt-sp-not-run")
    assert runs == "in this request: run 0\N{MULTIPLICATION SIGN}"
    [(_, tag)] = [
        found for found in page.find("span", class_="djdt-sp-tag") if "#77" in found[1]
    ]
    assert tag == "not kept in detail: #77"
    [(owner, name)] = page.find("span", class_="djdt-sp-finding-owner")
    assert owner["title"] == f"not yours: the code of {name}"
    [summary] = page.texts("summary", class_="djdt-sp-findings-installed-summary")
    assert summary == f"installed packages ({name}): 1 finding"
    [group] = page.texts("tr", class_="djdt-sp-group")
    assert "shop.receivers.relay 0.000 ms, queries: 2 " in group


@pytest.mark.usefixtures("reordered")
def test_the_dispatch_details_sentences_are_translated_whole():
    page = Page(render_content(a_document()))
    facts = page.texts("dd")
    assert "took 0.500 ms, from 1.000 ms: #1" in facts
    assert "shop.receivers.relay sent it, in not kept in detail: #1" in facts
    assert "nested: +3 (1.50 ms)" in page.texts("small")
