"""The panel as a newcomer reads it: what each number counts, short paths,
the model signals' essentials, where a dispatch's time went, and the answers
(findings, why a receiver did not run) at hand.

Rendered from stats documents as the toolbar's store gives them back, and
from recordings made here.
"""

from __future__ import annotations

import copy
import json
import os
from html.parser import HTMLParser
from typing import Any

import pytest
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.view.render import nav_subtitle, render_content

SITE = "/venv/lib/python3.12/site-packages"
DISPATCHER = f"{SITE}/django/dispatch/dispatcher.py"
EDITOR = "vscode://file/{path}:{line}"


def dispatch(ident: int, signal: str, **fields: Any) -> dict[str, Any]:
    """A dispatch of the document, with ``fields`` changed."""
    return {
        "id": ident,
        "parent": None,
        "parent_kept": None,
        "parent_receiver": None,
        "group": 0,
        "signal": signal,
        "family": "custom",
        "method": "send",
        "sender": "shop.Order",
        "kwargs": [],
        "model_context": [],
        "call_site": None,
        "start_ms": float(ident),
        "duration_ms": 0.5,
        "receivers": [],
        "not_called": [],
        "error": None,
        **fields,
    }


def call(name: str, duration_ms: float = 0.1, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "is_async": False,
        "start_ms": 1.0,
        "duration_ms": duration_ms,
        "result": "None",
        "error": None,
        "queries": [],
        "nested_queries": {"count": 0, "time_ms": 0.0},
        **fields,
    }


def document(*dispatches: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "summary": {
            "dispatches": len(dispatches),
            "detailed": len(dispatches),
            "receivers": 0,
            "receiver_time_ms": 0.0,
            "orphans": 0,
            "span_ms": 10.0,
            "request_finished": True,
        },
        "dispatches": list(dispatches),
        "groups": [],
        "orphans": [],
        "findings": [],
        "failures": [],
        "instrumentation": "compiled",
        "settings": {"editor_url": None},
        **fields,
    }


# Elements that run on in the text around them; any other starts a word.
INLINE = frozenset({"wbr", "code", "a", "strong", "em", "small"})
# Spans with attributes start a word, but for these: a file:line's last part.
RUN_ON = frozenset({"djdt-sp-file"})


class Page(HTMLParser):
    """The elements of a rendering, with their attributes and text (words of
    separate cells, items, buttons... separated by a space)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[list[str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, {k: v or "" for k, v in attrs}, text))
        run_on = dict(attrs).get("class") in RUN_ON
        if (attrs and not run_on) or tag not in (*INLINE, "span"):
            self.handle_data(" ")
        if tag not in ("br", "wbr", "input", "link", "col", "line", "rect"):
            self.open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for text in self.open:
            text.append(data)

    def find(self, tag: str, **attrs: str) -> list[tuple[dict[str, str], str]]:
        """``(attributes, text)`` of each ``tag`` whose attributes contain
        ``attrs`` (a class among others for ``class_``)."""
        found = []
        for name, attributes, text in self.elements:
            if name != tag:
                continue
            wanted = {key.rstrip("_").replace("_", "-"): v for key, v in attrs.items()}
            classes = attributes.get("class", "").split()
            if all(
                (value in classes) if key == "class" else attributes.get(key) == value
                for key, value in wanted.items()
            ):
                found.append((attributes, " ".join("".join(text).split())))
        return found

    def texts(self, tag: str, **attrs: str) -> list[str]:
        return [text for _, text in self.find(tag, **attrs)]


# 1. Numbers that say what they count. --------------------------------------------


def heavy_page() -> dict[str, Any]:
    """5,002 sends with receivers, 13 kept in detail; 5,005 orphan sends."""
    kept = [dispatch(n, "django.db.models.signals.post_init") for n in range(1, 14)]
    stats = document(*kept)
    stats["summary"].update(dispatches=5002, detailed=13, orphans=5005)
    stats["groups"] = [
        {"id": n, "signal": f"s{n}", "sender": "x", "receivers": [], "count": 1}
        for n in range(3)
    ]
    stats["orphans"] = [
        {"signal": "django.db.models.signals.pre_init", "sender": "x", "count": 5000},
        {"signal": "django.db.models.signals.pre_save", "sender": "x", "count": 5},
    ]
    return stats


def test_the_summary_counts_sends_and_the_tabs_count_rows():
    page = Page(render_content(heavy_page()))
    cards = dict(
        zip(page.texts("dt"), page.texts("dd"), strict=False)
    )  # the summary's cards come first
    assert cards["Dispatches"] == "5002 sends · 13 in detail"
    assert cards["Orphan sends"] == "5005 2 signal/sender pairs"
    assert page.texts("button", role="tab") == [
        "Dispatches 13 in detail",
        "Groups 3 · Orphans 2",
        "Registry",
    ]
    headings = page.texts("h4")
    assert "By signal, sender and receivers 3 groups, 5002 sends" in headings
    assert "Sent with no receivers 2 signal and sender pairs, 5005 sends" in headings
    assert page.texts("span", class_="djdt-sp-status-text") == [
        "5002 dispatches: 13 kept in detail."
    ]


def test_the_sidebar_says_its_figures_stop_at_the_response():
    stats = heavy_page()
    stats["summary"].update(receivers=5003, receiver_time_ms=7.449, errors=2)
    assert nav_subtitle(stats) == (
        "5002 dispatches · 5003 receivers · 7.45 ms · 2 errors"
    )
    stats["summary"]["request_finished"] = False
    assert nav_subtitle(stats) == (
        "5002 dispatches · 5003 receivers · 7.45 ms · 2 errors, up to the response"
    )
    assert nav_subtitle({}) == ""
    assert nav_subtitle({"summary": "nonsense"}).startswith("0 dispatches")


def test_the_content_carries_its_sidebar_line_and_whether_it_is_complete():
    """What panel.js puts in the sidebar, and whether it fetches itself again."""
    stats = heavy_page()
    (root,) = Page(render_content(stats)).find("div", class_="djdt-signal-panel")
    assert root[0]["data-sp-subtitle"] == nav_subtitle(stats)
    assert root[0]["data-sp-finished"] == "1"
    assert root[0]["data-sp-dispatches"] == "5002"
    stats["summary"]["request_finished"] = False
    page = Page(render_content(stats))
    ((attributes, _),) = page.find("div", class_="djdt-signal-panel")
    assert attributes["data-sp-finished"] == ""
    assert attributes["data-sp-subtitle"].endswith(", up to the response")
    assert page.texts("button", class_="djdt-sp-refresh") == ["Refresh"]


def test_every_tab_has_rows_the_filter_searches():
    stats = heavy_page()
    stats["groups"][0]["receivers"] = [{"name": "shop.receivers.Track", "count": 1}]
    stats["orphans"][0]["receivers"] = [{"name": "shop.Audit", "reason": "why"}]
    page = Page(render_content(stats))
    groups = [a["data-sp-search"] for a, _ in page.find("tr", class_="djdt-sp-group")]
    assert groups[0] == "s0 x custom shop.receivers.track"
    assert len(groups) == 3
    orphans = [a["data-sp-search"] for a, _ in page.find("tr", class_="djdt-sp-orphan")]
    assert orphans == [
        "django.db.models.signals.pre_init x model shop.audit",
        "django.db.models.signals.pre_save x model",
    ]
    assert len(page.find("input", class_="djdt-sp-search")) == 1  # for every tab
    assert len(page.find("span", class_="djdt-sp-matches")) == 3  # one per tab


def test_the_repeat_tags_read_as_one_phrase():
    """The group's sends, then "12 more in detail": not a count beside another."""
    stats = heavy_page()
    for kept in stats["dispatches"]:
        kept.update(group=0, receivers=[call("shop.receivers.track")])
    stats["groups"] = [
        {
            "id": 0,
            "signal": "django.db.models.signals.post_init",
            "sender": "x",
            "receivers": [{"name": "shop.receivers.track"}],
            "count": 5000,
        }
    ]
    page = Page(render_content(stats))
    ((title, sends),) = [
        (a["title"], text)
        for a, text in page.find("span", class_="djdt-sp-tag")
        if text.endswith("sends")
    ]
    assert sends == "\N{MULTIPLICATION SIGN}5000 sends"
    assert title.startswith("5000 sends of this signal, sender and receivers")
    assert ": 13 kept in detail, the others only counted" in title
    assert page.texts("button", class_="djdt-sp-repeats") == ["12 more in detail"]


def test_the_sidebar_rounds_the_receiver_time_as_the_panel_card_does():
    """123.985 is 123.98499... as a float: both must say 123.99 (found by the
    browser test on a page whose total happened to end in 5)."""
    stats = heavy_page()
    for total, shown in ((123.985, "123.99"), (0.125, "0.13"), (7.444, "7.44")):
        stats["summary"]["receiver_time_ms"] = total
        assert f"receivers · {shown} ms" in nav_subtitle(stats)
        card = render_content(stats).split("Receiver time</dt><dd>", 1)[1]
        assert card.startswith(f"{shown}<small> ms</small>"), card[:40]


# 3. Short paths. ---------------------------------------------------------------


def sources_document(project: str) -> dict[str, Any]:
    failing = call(
        "shop.receivers.notify",
        error={
            "type": "builtins.ValueError",
            "message": "no mail server",
            "traceback": [
                [DISPATCHER, 189, "send", "response = receiver(signal=self)"],
                [f"{SITE}/asgiref/sync.py", 254, "__call__", "return call()"],
                [f"{project}/shop/receivers.py", 7, "notify", "raise ValueError"],
            ],
        },
    )
    return document(
        dispatch(
            1,
            "shop.signals.order_placed",
            call_site=[f"{project}/shop/views.py", 42, "checkout"],
            receivers=[failing],
        ),
        settings={"editor_url": EDITOR},
        registry=[
            {
                "signal": "shop.signals.order_placed",
                "family": "custom",
                "fired": True,
                "model_signal": False,
                "receivers": [
                    {
                        "name": "shop.receivers.notify",
                        "file": f"{project}/shop/receivers.py",
                        "line": 5,
                        "weak": True,
                        "dispatch_uid": None,
                        "sender": None,
                        "is_async": False,
                        "runs": 1,
                        "not_run": None,
                    }
                ],
            }
        ],
    )


def sources(page: Page) -> list[tuple[str, str, str]]:
    """(shown, title, href) of each source link: call site, frames, registry."""
    return [
        (
            "".join(text),
            attrs.get("title", ""),
            attrs.get("href", ""),
        )
        for tag, attrs, text in page.elements
        if tag == "a" and attrs.get("href", "").startswith("vscode:")
    ]


def test_paths_are_shown_from_the_project_and_the_package(settings, tmp_path):
    project = str(tmp_path / "project")
    settings.BASE_DIR = tmp_path / "project"
    shown = sources(Page(render_content(sources_document(project))))
    assert shown == [
        (
            "shop/views.py:42",
            f"{project}/shop/views.py:42",
            f"vscode://file/{project}/shop/views.py:42",
        ),
        (
            "django/dispatch/dispatcher.py:189",
            f"{DISPATCHER}:189",
            f"vscode://file/{DISPATCHER}:189",
        ),
        (
            "asgiref/sync.py:254",
            f"{SITE}/asgiref/sync.py:254",
            f"vscode://file/{SITE}/asgiref/sync.py:254",
        ),
        (
            "shop/receivers.py:7",
            f"{project}/shop/receivers.py:7",
            f"vscode://file/{project}/shop/receivers.py:7",
        ),
        (
            "shop/receivers.py:5",
            f"{project}/shop/receivers.py:5",
            f"vscode://file/{project}/shop/receivers.py:5",
        ),
    ]


def test_without_base_dir_paths_are_from_the_current_directory(
    settings, tmp_path, monkeypatch
):
    del settings.BASE_DIR
    monkeypatch.chdir(tmp_path)
    stats = sources_document(str(tmp_path))
    stats["settings"]["editor_url"] = None
    page = Page(render_content(stats))
    assert page.texts("code", class_="djdt-sp-source") == [
        "shop/views.py:42",
        "shop/receivers.py:5",
    ]
    # Elsewhere, a file under a sys.path entry (the standard library's) is
    # named from it; any other one in full.
    stats["dispatches"][0]["call_site"][0] = os.__file__
    stats["registry"][0]["receivers"][0]["file"] = "/elsewhere/receivers.py"
    page = Page(render_content(stats))
    assert page.texts("code", class_="djdt-sp-source") == [
        "os.py:42",
        "/elsewhere/receivers.py:5",
    ]


def test_tracebacks_start_after_the_dispatch_machinery(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    page = Page(render_content(sources_document(str(tmp_path))))
    [(_, machinery)] = page.find("details", class_="djdt-sp-machinery")
    assert " ".join(machinery.split()).startswith(
        "2 earlier frames, in the dispatch machinery"
        " (Django's dispatcher, asgiref, the recorder)"
    )
    assert "django/dispatch/dispatcher.py:189" in machinery
    assert "asgiref/sync.py:254" in machinery
    shown = page.texts("pre", class_="djdt-sp-traceback")[-1]
    assert shown.startswith("shop/receivers.py:7 in notify raise ValueError")


def raising(sender: Any, **kwargs: Any) -> None:
    raise ValueError("raised by the receiver")


def test_a_recorded_traceback_opens_on_the_receiver():
    signal = Signal()
    signal.connect(raising, weak=False)
    with record_signals() as recording:
        signal.send_robust(sender=None)
    page = Page(render_content(json.loads(json.dumps(recording.to_stats()))))
    [(_, machinery)] = page.find("details", class_="djdt-sp-machinery")
    assert "django/dispatch/dispatcher.py:" in machinery
    shown = page.texts("pre", class_="djdt-sp-traceback")[-1]
    assert shown.startswith("view/test_view.py:")  # tests.settings.BASE_DIR: tests/
    assert "in raising raise ValueError" in shown


# 5, 6. Dispatches numbered in the request; where their time went. ----------------


def test_dispatches_show_their_number_and_time_outside_receivers():
    slow = dispatch(
        2,
        "django.db.models.signals.post_init",
        duration_ms=30.69,
        outside_ms=30.668,
        gc_ms=30.1,
        receivers=[call("shop.receivers.track", duration_ms=0.022)],
    )
    html = render_content(document(dispatch(1, "shop.signals.a"), slow))
    page = Page(html)
    assert page.texts("small", class_="djdt-sp-module") == [
        "#1 · shop.signals",
        "#2 · django.db.models.signals",
    ]
    [(row, _)] = page.find("div", class_="djdt-sp-dispatch", data_sp_id="2")
    assert row["data-sp-ms"] == "30.690000"
    assert row["data-sp-receiver-ms"] == "0.022000"
    assert row["data-sp-outside-ms"] == "30.668000"
    assert page.texts("span", class_="djdt-sp-timing") == [
        ": outside its receivers 30.668 ms; garbage-collector pauses 30.100 ms"
    ]
    # The slow filter can measure each of them.
    options = [attrs["value"] for attrs, _ in page.find("option")]
    assert options == ["dispatch", "receiver", "outside"]


def test_documents_without_the_timings_leave_them_out():
    html = render_content(document(dispatch(1, "shop.signals.a")))
    page = Page(html)
    assert page.find("span", class_="djdt-sp-timing") == []
    [(row, _)] = page.find("div", class_="djdt-sp-dispatch")
    assert row["data-sp-outside-ms"] == ""


# 8. Model signals: the essentials in the collapsed row, no repeats. -------------


def test_m2m_changed_rows_show_action_and_pk_set_size():
    context = [
        ["action", "'post_add'"],
        ["reverse", "False"],
        ["pk_set", "set({4, 7, 9})"],
        ["using", "'default'"],
    ]
    m2m = dispatch(
        1,
        "django.db.models.signals.m2m_changed",
        kwargs=[["instance", "staff.Shift(pk=3)"], *context],
        model_context=context,
    )
    saved = dispatch(
        2,
        "django.db.models.signals.post_save",
        kwargs=[["instance", "shop.Order(pk=3)"], ["created", "True"]],
        model_context=[["created", "True"]],
    )
    page = Page(render_content(document(m2m, saved)))
    assert page.texts("span", class_="djdt-sp-essentials") == [
        "action=post_add pk_set=3 keys",
        "created=True",
    ]
    # In the details: the model context as chips, the rest in the table.
    chips = page.texts("p", class_="djdt-sp-context")
    assert (
        chips[0]
        == "action='post_add' reverse=False pk_set=set({4, 7, 9}) using='default'"
    )
    tables = page.texts("table", class_="djdt-sp-kwargs")
    assert tables == ["instance staff.Shift(pk=3)", "instance shop.Order(pk=3)"]


# 2. request_started's environ, and the toolbar's panels about the request. ------


def test_the_request_started_environ_links_to_the_request_panels():
    started = dispatch(
        1,
        "django.core.signals.request_started",
        kwargs=[["environ", "<WSGI environ: GET /shop/?page=2>"]],
    )
    other = dispatch(2, "shop.signals.a", kwargs=[["environ", "'not a request'"]])
    page = Page(render_content(document(started, other)))
    buttons = page.find("button", class_="djdt-sp-open-panel")
    assert [(attrs["data-sp-open-panel"], text) for attrs, text in buttons] == [
        ("RequestPanel", "Request panel"),
        ("HeadersPanel", "Headers panel"),
    ]
    [kwargs, _] = page.texts("table", class_="djdt-sp-kwargs")
    assert kwargs == (
        "environ <WSGI environ: GET /shop/?page=2> Request panel Headers panel"
    )


# The instrumentation that recorded the request (issue 11). ----------------------


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("compiled", "receivers ran under exactly Django's frames"),
        ("mixed", "those receivers saw one of the recorder's frames"),
        ("wrappers", "stacklevel counts one or two more"),
    ],
)
def test_the_footer_names_the_instrumentation(mode, says):
    page = Page(render_content(document(instrumentation=mode)))
    [footer] = page.texts("p", class_="djdt-sp-footer")
    assert footer.startswith(f"Recorded with {mode} instrumentation:")
    assert says in footer


def test_no_footer_for_an_unknown_instrumentation():
    page = Page(render_content(document(instrumentation="<b>?</b>")))
    assert page.find("p", class_="djdt-sp-footer") == []


# 4. The Registry: the project's signals first; what each receiver did. ---------


def registered(signal: str, family: str, *receivers: dict[str, Any]) -> dict[str, Any]:
    return {
        "signal": signal,
        "family": family,
        "fired": True,
        "model_signal": family == "model",
        "receivers": list(receivers),
    }


def receiver(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "file": None,
        "line": None,
        "weak": True,
        "dispatch_uid": None,
        "sender": None,
        "is_async": False,
        "runs": 0,
        "not_run": None,
        **fields,
    }


def test_the_registry_lists_the_projects_signals_first():
    stats = document(
        registry=[
            registered("debug_toolbar.toolbar.DebugToolbar._created", "third-party"),
            registered("django.core.signals.request_started", "request"),
            registered("django.db.models.signals.post_save", "model"),
            registered("shop.signals.order_placed", "custom"),
            registered("accounts.signals.login_succeeded", "custom"),
        ]
    )
    page = Page(render_content(stats))
    entries = [attrs["data-sp-signal"] for attrs, _ in page.find("tbody")]
    assert entries == [
        "accounts.signals.login_succeeded",
        "shop.signals.order_placed",
        "debug_toolbar.toolbar.DebugToolbar._created",
        "django.core.signals.request_started",
        "django.db.models.signals.post_save",
    ]


def owned(kind: str) -> dict[str, Any]:
    return {"kind": kind, "distribution": None, "version": None}


def test_the_registry_lists_signals_by_whose_code_the_toolbars_last():
    entries = [
        ("debug_toolbar.toolbar.DebugToolbar._created", "third-party", "toolbar"),
        ("django.core.signals.request_started", "request", "django"),
        ("pagesearch.signals.index_updated", "third-party", "package"),
        ("shop.signals.order_placed", "custom", "project"),
        ("a_lib.signals.done", "third-party", "package"),
    ]
    stats = document(
        registry=[
            {**registered(signal, family), "owner": owned(kind)}
            for signal, family, kind in entries
        ]
    )
    page = Page(render_content(stats))
    assert [attrs["data-sp-signal"] for attrs, _ in page.find("tbody")] == [
        "shop.signals.order_placed",
        "a_lib.signals.done",
        "pagesearch.signals.index_updated",
        "django.core.signals.request_started",
        "debug_toolbar.toolbar.DebugToolbar._created",
    ]


def test_identical_receivers_show_their_count():
    stats = document(
        registry=[
            registered(
                "django.core.signals.setting_changed",
                "framework",
                receiver("pagesearch.backends.Backend.clear", count=12),
                receiver("shop.receivers.once", count=1),
                receiver("shop.receivers.older"),  # documents without counts
            )
        ]
    )
    page = Page(render_content(stats))
    assert page.texts("span", class_="djdt-sp-folded") == ["\N{MULTIPLICATION SIGN}12"]
    [(_, text)] = page.find("tr", data_sp_receiver="pagesearch.backends.Backend.clear")
    assert "\N{MULTIPLICATION SIGN}12" in text


def test_a_file_and_line_never_break_inside():
    stats = sources_document("/src/project")
    html = render_content(stats)
    assert '<span class="djdt-sp-file">receivers.py:5</span>' in html
    assert "shop/<wbr>" in html


def test_the_registry_says_how_often_each_receiver_ran_or_why_not():
    stats = document(
        registry=[
            registered(
                "django.db.models.signals.post_save",
                "model",
                receiver("shop.receivers.notify", runs=3),
                receiver(
                    "shop.receivers.audit", not_run="sent only by sender shop.Cart"
                ),
                receiver("(garbage-collected)", not_run="dead weak reference"),
                receiver("shop.receivers.uid", dispatch_uid="'audit'", weak=False),
            )
        ]
    )
    page = Page(render_content(stats))
    rows = {
        attrs["data-sp-receiver"]: text
        for attrs, text in page.find("tr")
        if "data-sp-receiver" in attrs
    }
    ran = "ran 3\N{MULTIPLICATION SIGN} in this request"
    assert rows["shop.receivers.notify"].endswith(f"any {ran}")
    assert rows["shop.receivers.audit"].endswith("sent only by sender shop.Cart")
    assert rows["(garbage-collected)"].endswith("dead weak reference")
    assert "dispatch_uid 'audit'" in rows["shop.receivers.uid"]
    assert "strong" in rows["shop.receivers.uid"]
    assert "model signal" in rows["shop.receivers.notify"]
    # Older documents do not say.
    del stats["registry"][0]["receivers"][0]["runs"]
    page = Page(render_content(stats))
    [(_, text)] = page.find("tr", data_sp_receiver="shop.receivers.notify")
    assert text.endswith("not recorded")


# Why a receiver did not run: orphan sends, groups, nesting. ----------------------


def test_orphan_sends_list_the_receivers_connected_and_why_none_ran():
    stats = document(
        orphans=[
            {
                "signal": "probeapp.signals.echoed",
                "sender": "probeapp.Note",
                "count": 2,
                "receivers": [
                    {
                        "name": "probeapp.receivers.for_echo",
                        "reason": "connected for sender probeapp.Echo; these sends'"
                        " sender was probeapp.Note",
                    }
                ],
            },
            {"signal": "probeapp.signals.lonely", "sender": "x", "count": 1},
        ]
    )
    page = Page(render_content(stats))
    rows = page.texts("tr", data_sp_signal="probeapp.signals.echoed")
    assert rows == [
        "probeapp.signals.echoed probeapp.Note 2 probeapp.receivers.for_echo:"
        " connected for sender probeapp.Echo; these sends' sender was probeapp.Note"
    ]
    assert page.texts("tr", data_sp_signal="probeapp.signals.lonely") == [
        "probeapp.signals.lonely x 1 none"
    ]
    assert any(
        "this request's stats were built" in hint
        for hint in page.texts("p", class_="djdt-sp-hint")
    )


def test_groups_show_a_receivers_runs_when_they_differ_from_the_count():
    stats = document(
        groups=[
            {
                "id": 0,
                "signal": "shop.signals.a",
                "sender": "x",
                "count": 4,
                "receivers": [
                    {"name": "shop.receivers.first", "runs": 4, "total_ms": 1.0},
                    {"name": "shop.receivers.second", "runs": 1, "total_ms": 0.5},
                ],
            }
        ]
    )
    page = Page(render_content(stats))
    [cell] = [
        text for text in page.texts("td") if text.startswith("shop.receivers.first")
    ]
    assert cell == (
        "shop.receivers.first 1.000 ms"
        " shop.receivers.second 1\N{MULTIPLICATION SIGN}, 0.500 ms"
    )


def test_a_nested_dispatch_names_the_receiver_that_sent_it():
    outer = dispatch(1, "shop.signals.a")
    inner = dispatch(
        2,
        "shop.signals.b",
        parent=1,
        parent_kept=True,
        parent_receiver="shop.receivers.relay",
    )
    page = Page(render_content(document(outer, inner)))
    facts = page.texts("dd")
    assert "#1 shop.signals.a from shop.receivers.relay" in facts


# Findings, at the top of the panel. ---------------------------------------------


def finding(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": f"A {kind}",
        "detail": f"What the {kind} is.",
        "fix": f"How to fix the {kind}.",
        "signal": None,
        "receiver": None,
        "dispatches": [],
        **fields,
    }


def test_findings_come_first_with_their_fix_and_links():
    stats = document(
        dispatch(1, "django.db.models.signals.post_save"),
        dispatch(2, "django.db.models.signals.post_save"),
        findings=[
            finding("unimported"),
            finding(
                "reentrant_save",
                signal="django.db.models.signals.post_save",
                receiver="shop.receivers.touch",
                dispatches=[1, 2, 77],
            ),
            finding(
                "sql_per_row",
                signal="shop.signals.a",
                receiver="shop.receivers.count",
            ),
        ],
        registry=[
            registered("shop.signals.a", "custom", receiver("shop.receivers.count"))
        ],
    )
    html = render_content(stats)
    assert html.index("djdt-sp-findings") < html.index("djdt-sp-summary")
    page = Page(html)
    assert page.texts("h4")[0] == "3 findings: classic mistakes with signals"
    items = page.texts("li", class_="djdt-sp-finding")
    assert (
        items[0]
        == "A unimported What the unimported is. Fix: How to fix the unimported."
    )
    jumps = [
        (attrs["data-sp-target"], text)
        for attrs, text in page.find("button", class_="djdt-sp-jump")
    ]
    assert jumps == [("1", "#1 post_save"), ("2", "#2 post_save")]
    assert "#77 (not kept in detail)" in items[1]
    # Only what the Registry tab has gets a link there.
    links = [
        (attrs["data-sp-signal"], attrs["data-sp-receiver"])
        for attrs, _ in page.find("button", class_="djdt-sp-registry-link")
    ]
    assert links == [("shop.signals.a", "shop.receivers.count")]


def test_no_findings_no_box():
    html = render_content(document(dispatch(1, "shop.signals.a")))
    assert "djdt-sp-findings" not in html
    stats = document(findings="nonsense")
    assert "djdt-sp-findings" not in render_content(copy.deepcopy(stats))


def test_a_rows_queries_count_the_sql_of_tasks_run_inline_in_its_receivers():
    """A receiver whose SQL all ran in a task it enqueued (an immediate task
    backend ran it inline) is not a receiver without SQL."""
    indexed = call(
        "pagesearch.index.update_index",
        task_queries=[
            {"task": "pagesearch.tasks.index_object", "count": 7, "time_ms": 1.0}
        ],
    )
    saved = call(
        "shop.receivers.audit",
        queries=[{"alias": "default", "count": 2, "time_ms": 0.2}],
    )
    stats = document(
        dispatch(1, "django.db.models.signals.post_save", receivers=[indexed, saved])
    )

    page = Page(render_content(stats))

    cells = page.texts("span", class_="djdt-sp-num", role="cell")
    assert "9" in cells
