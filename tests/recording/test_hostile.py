"""Hostile values in every recorded field are harmless.

Each value is sent as a keyword argument, as the sender and as a receiver's
result: the send behaves exactly as without recording (receivers get the very
objects), the recorder reports no failure, nothing is evaluated (no SQL, no
``__repr__``/``__str__``, no lazy object, no iterator consumed), the stats
document stays small and JSON-native, and the rendered panel escapes every
HTML/JS payload. Secrets under masked keyword names appear nowhere in the
stored stats.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import linecache
import re
import sys
import types
from typing import Any

import pytest
from debug_toolbar.store import deserialize, serialize
from debug_toolbar.toolbar import debug_toolbar_urls
from django.db import connection
from django.dispatch import Signal
from django.http import HttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils.functional import SimpleLazyObject

from signal_panel import record_signals
from signal_panel.describe import callable_name
from signal_panel.view.render import render_content
from tests.testapp.models import Article, Comment

hostile = Signal()

XSS = (
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert("xss-2")>',
    '</script><script>alert("xss-3")</script>',
)
# What must never appear unescaped in HTML.
RAW = ('<script>alert("xss', "<img src=x onerror", "</script><script>", '"><img')
SECRET = "hunter2-do-not-show"


class ReprRaises:
    def __repr__(self) -> str:
        raise RuntimeError("repr called")

    def __str__(self) -> str:
        raise RuntimeError("str called")


class ReprRecurses:
    def __repr__(self) -> str:
        return repr(self)


class GetattrRaises:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"getattr {name}")


class GetattributeRaises:
    def __getattribute__(self, name: str) -> Any:
        raise RuntimeError(f"getattribute {name}")


class EvilInt(int):
    def __repr__(self) -> str:
        raise RuntimeError("int repr called")


class EvilStr(str):
    def __getitem__(self, key: Any) -> Any:
        raise RuntimeError("str getitem called")


class EvilList(list):
    def __len__(self) -> int:
        raise RuntimeError("len called")


class EvilException(Exception):
    def __str__(self) -> str:
        raise RuntimeError("exception str called")


@dataclasses.dataclass
class Credentials:
    user: str
    secret: str


def deep_dict(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    current = root
    for _ in range(depth):
        current["k"] = {}
        current = current["k"]
    return root


def corpus() -> dict[str, Any]:
    recursive_list: list[Any] = []
    recursive_list.append(recursive_list)
    recursive_dict: dict[str, Any] = {}
    recursive_dict["self"] = recursive_dict
    return {
        "repr_raises": ReprRaises(),
        "repr_recurses": ReprRecurses(),
        "recursive_list": recursive_list,
        "recursive_dict": recursive_dict,
        "ten_mb": "x" * 10_000_000,
        "ten_mb_bytes": b"y" * 10_000_000,
        "deep_dict": deep_dict(100_000),
        "not_utf8": b"\xff\xfe\xc3\x28\xa0\xa1",
        "getattr_raises": GetattrRaises(),
        "getattribute_raises": GetattributeRaises(),
        "evil_int": EvilInt(3),
        "evil_str": EvilStr("evil"),
        "evil_list": EvilList([1, 2, 3]),
        "huge_set": set(range(100_000)),
        "exception": EvilException("boom"),
    }


def bounded(stats: dict[str, Any], limit: int = 200_000) -> None:
    text = serialize(stats)
    assert len(text) < limit, len(text)
    # JSON-native: the store gives back exactly what was stored.
    assert deserialize(text) == stats


@pytest.fixture
def connected():
    received: list[dict[str, Any]] = []

    def keep(sender, **kwargs):
        received.append({"sender": sender, **kwargs})
        return kwargs.get("give_back")

    hostile.connect(keep, weak=False)
    yield received
    hostile.disconnect(keep)


def test_corpus_as_keyword_arguments(connected):
    values = corpus()
    with record_signals() as recording:
        responses = hostile.send(sender="corpus", **values)

    [(_, response)] = responses
    assert response is None
    [received] = connected
    for name, value in values.items():
        assert received[name] is value, name
    assert recording.failures == []
    [record] = recording.filter(hostile)
    described = dict(record.kwargs)
    assert set(described) == set(values)
    assert all(len(text) <= 200 for text in described.values())
    assert described["ten_mb"].startswith("'xxxx")
    assert "unrepresentable" not in described["repr_raises"]
    assert described["not_utf8"] == repr(values["not_utf8"])
    stats = recording.to_stats()
    bounded(stats)
    render_content(stats)


def _send_as_sender(value: Any) -> tuple[str, Any]:
    try:
        [(_, response)] = hostile.send(sender=value, give_back=value)
    except Exception as exc:
        return "raised", (type(exc), str(exc))
    return "returned", response


@pytest.mark.parametrize("name", sorted(corpus()))
def test_each_value_as_sender_and_result(connected, name):
    value = corpus()[name]
    plain = _send_as_sender(value)
    with record_signals() as recording:
        recorded = _send_as_sender(value)
    # Django itself refuses some senders (unhashable ones, or one whose
    # __getattr__ raises): then it must raise the same with recording.
    assert recorded == plain
    if plain[0] == "returned":
        assert plain[1] is value and recorded[1] is value
        assert all(received["sender"] is value for received in connected)
        [record] = recording.filter(hostile)
        assert len(record.sender) <= 200
        assert len(record.calls[0].result) <= 200
    assert recording.failures == []
    stats = recording.to_stats()
    bounded(stats)
    render_content(stats)


def test_huge_keyword_and_receiver_names_are_bounded():
    signal = Signal()

    def receiver(**kwargs):
        return "ran"

    receiver.__qualname__ = "q" * 10_000_000
    signal.connect(receiver, weak=False)
    with record_signals() as recording:
        [(_, response)] = signal.send(sender=None, **{"k" * 10_000_000: 1})
    assert response == "ran"
    assert recording.failures == []
    bounded(recording.to_stats(), limit=20_000)


def test_iterator_is_not_consumed(connected):
    iterator = iter([1, 2, 3])
    generator = (n for n in range(3))
    with record_signals() as recording:
        hostile.send(sender=None, iterator=iterator, generator=generator)
    assert list(iterator) == [1, 2, 3]
    assert list(generator) == [0, 1, 2]
    assert recording.failures == []


@pytest.mark.django_db
def test_nothing_lazy_is_evaluated_and_no_sql_runs(connected, monkeypatch):
    article = Article.objects.create(title="stored")
    comment = Comment.objects.create(article=article, body="hi")
    comment = Comment.objects.get(pk=comment.pk)  # article not loaded
    deferred = Article.objects.only("id").get(pk=article.pk)  # title deferred
    queryset = Article.objects.filter(title="stored")
    related = article.comment_set.all()
    evaluated_lazily = []
    lazy = SimpleLazyObject(
        lambda: evaluated_lazily.append(1) or Article.objects.count()
    )

    def str_runs_a_query(self):
        return f"{Comment.objects.count()} comments"

    monkeypatch.setattr(Article, "__str__", str_runs_a_query)
    monkeypatch.setattr(Article, "__repr__", str_runs_a_query)

    with CaptureQueriesContext(connection) as queries, record_signals() as recording:
        hostile.send(
            sender=article,
            queryset=queryset,
            related=related,
            manager=Article.objects,
            model=article,
            deferred=deferred,
            comment=comment,
            lazy=lazy,
            give_back=queryset,
        )
        stats = recording.to_stats()
        render_content(stats)

    assert [q["sql"] for q in queries.captured_queries] == []
    assert queryset._result_cache is None
    assert related._result_cache is None
    assert "title" not in deferred.__dict__
    assert not Comment.article.is_cached(comment)
    assert evaluated_lazily == []
    assert recording.failures == []
    described = dict(recording.filter(hostile)[0].kwargs)
    assert described["queryset"] == "<QuerySet testapp.Article (unevaluated)>"
    assert described["model"] == f"testapp.Article(pk={article.pk})"
    assert described["deferred"] == f"testapp.Article(pk={article.pk})"
    assert described["lazy"] == "<SimpleLazyObject (not evaluated)>"


def test_secrets_under_masked_names_are_nowhere_in_the_stats(connected):
    with (
        override_settings(SIGNAL_PANEL={"HIDE_KEYS": ["^ssn$"]}),
        record_signals() as recording,
    ):
        hostile.send(
            sender=None,
            password=SECRET + "-1",
            api_key=SECRET + "-2",
            auth_token=SECRET + "-3",
            SECRET_KEY=SECRET + "-4",
            credentials=SECRET + "-5",
            ssn=SECRET + "-6",
            HTTP_COOKIE=SECRET + "-7",
            nested={
                "user": "ann",
                "password": SECRET + "-8",
                "deeper": {"client_secret": SECRET + "-9"},
            },
            record=Credentials(user="ann", secret=SECRET + "-10"),
            listed=[{"token": SECRET + "-11"}],
        )
        stats = recording.to_stats()
    text = serialize(stats)
    assert SECRET not in text
    assert SECRET not in render_content(stats)
    described = dict(recording.filter(hostile)[0].kwargs)
    assert described["password"] == "********"
    assert described["ssn"] == "********"
    assert "'user': 'ann'" in described["nested"]
    assert "********" in described["record"]


# HTML/JS payloads in every displayed field.

# A signal whose dotted name carries a payload: a module registered under it.
_payload_module = types.ModuleType(XSS[0])
_payload_module.signal = Signal()


@pytest.fixture
def payload_module():
    """Registers the payload-named module only while a test runs."""
    sys.modules[_payload_module.__name__] = _payload_module
    yield _payload_module
    del sys.modules[_payload_module.__name__]
    linecache.cache.pop(PAYLOAD_FILE, None)
    linecache.cache.pop(PAYLOAD_RECEIVER_FILE, None)


PAYLOAD_FILE = f"{XSS[2]}.py"
PAYLOAD_RECEIVER_FILE = f"{XSS[1]}.py"


def _payload_receivers() -> list[Any]:
    def named(**kwargs):
        return XSS[1]

    named.__qualname__ = named.__name__ = XSS[0]
    named.__module__ = XSS[1]

    raises = _from_payload_file(
        f"def raises(**kwargs):\n    raise ValueError({XSS[2]!r})  # {XSS[0]}\n",
        "raises",
        {},
        PAYLOAD_RECEIVER_FILE,
    )
    raises.__qualname__ = XSS[2]
    callable_object = type(XSS[1], (), {"__call__": lambda self, **kw: XSS[0]})()
    return [named, raises, callable_object]


def _from_payload_file(
    source: str, name: str, namespace: dict[str, Any], filename: str = PAYLOAD_FILE
) -> Any:
    """Run ``source`` as if from a file whose name and lines carry payloads."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _send_from_payload_file(signal: Signal, **kwargs: Any) -> Any:
    """Send from code whose file name and source line carry payloads."""
    source = f"result = signal.send_robust(sender={XSS[0]!r}, **kwargs)  # {XSS[1]}\n"
    return _from_payload_file(source, "result", {"signal": signal, "kwargs": kwargs})


def _record_payloads() -> tuple[dict[str, Any], list[Any]]:
    receivers = _payload_receivers()
    for each in receivers:
        _payload_module.signal.connect(each, weak=False)
    # One receiver connected for another sender: listed as not called.
    other = _payload_receivers()[0]
    _payload_module.signal.connect(other, sender=XSS[2], weak=False)
    try:
        with record_signals() as recording:
            responses = _send_from_payload_file(
                _payload_module.signal,
                **{XSS[0]: XSS[1], "value": XSS[2], "payloads": list(XSS)},
            )
            Signal().send(sender=XSS[1])  # no receivers: an orphan
        recording.fail(RuntimeError(XSS[0]))  # how a recorder failure shows
    finally:
        for each in receivers:
            _payload_module.signal.disconnect(each)
        _payload_module.signal.disconnect(other, sender=XSS[2])
    return recording.to_stats(), responses


def assert_escaped(html: str) -> None:
    for raw in RAW:
        assert raw not in html, raw
    for payload in XSS:
        assert payload not in html


@pytest.mark.parametrize("editor_url", [None, "vscode://file/{path}:{line}"])
def test_payloads_are_escaped_in_the_rendered_panel(editor_url, payload_module):
    with override_settings(SIGNAL_PANEL={"EDITOR_URL": editor_url}):
        stats, responses = _record_payloads()
        html = render_content(stats)

    assert [r for r in responses if isinstance(r[1], ValueError)]
    text = json.dumps(stats)
    # Every payload reached the stats, in each field...
    [dispatch] = [d for d in stats["dispatches"] if d["signal"].startswith(XSS[0])]
    assert XSS[0] in dispatch["sender"]
    assert [XSS[0], repr(XSS[1])] in dispatch["kwargs"]
    assert XSS[2] in dispatch["call_site"][0]
    names = [r["name"] for r in dispatch["receivers"]]
    assert f"{XSS[1]}.{XSS[0]}" in names
    assert any(r["result"] == repr(XSS[1]) for r in dispatch["receivers"])
    errors = [r["error"] for r in dispatch["receivers"] if r.get("error")]
    assert errors[0]["message"] == XSS[2]
    frame = errors[0]["traceback"][-1]
    assert frame[0] == PAYLOAD_RECEIVER_FILE
    assert XSS[0] in frame[3]
    assert dispatch["not_called"][0]["name"] == f"{XSS[1]}.{XSS[0]}"
    assert json.loads(text) == stats
    # ...and the panel shows them, escaped, never as markup.
    assert_escaped(html)
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror" in html


@pytest.mark.django_db
def test_payloads_are_escaped_through_render_panel(client, payload_module):
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/hostile/")
        request_id = re.search(rb'data-request-id="([0-9a-f]+)"', response.content)[
            1
        ].decode()
        panel = client.get(
            "/__debug__/render_panel/",
            {"request_id": request_id, "panel_id": "SignalPanel"},
        )
    assert panel["Content-Type"] == "application/json"
    content = panel.json()["content"]
    assert "&lt;script&gt;alert(" in content
    assert_escaped(content)
    assert_escaped(response.content.decode())


def hostile_view(request):
    _record_payloads_in_request()
    return HttpResponse("<html><body><p>hostile</p></body></html>")


def _record_payloads_in_request() -> None:
    receivers = _payload_receivers()
    for each in receivers:
        _payload_module.signal.connect(each, weak=False)
    try:
        _send_from_payload_file(
            _payload_module.signal, **{XSS[0]: XSS[1], "value": XSS[2]}
        )
    finally:
        for each in receivers:
            _payload_module.signal.disconnect(each)


urlpatterns = [path("hostile/", hostile_view), *debug_toolbar_urls()]


# Receivers of every shape get a readable name.


class Shapes:
    def method(self, **kwargs):
        pass

    @classmethod
    def klass(cls, **kwargs):
        pass

    @staticmethod
    def static(**kwargs):
        pass

    def __call__(self, **kwargs):
        pass


def module_function(**kwargs):
    pass


async def async_function(**kwargs):
    pass


def test_receivers_get_readable_names():
    here = __name__
    shapes = Shapes()
    lam = lambda **kwargs: None  # noqa: E731
    expected = {
        functools.partial(module_function): (
            f"functools.partial({here}.module_function)"
        ),
        shapes.method: f"{here}.Shapes.method",
        Shapes.klass: f"{here}.Shapes.klass",
        Shapes.static: f"{here}.Shapes.static",
        shapes: f"{here}.Shapes()",
        lam: f"{here}.test_receivers_get_readable_names.<locals>.<lambda>",
        async_function: f"{here}.async_function",
    }
    signal = Signal()
    for each in expected:
        signal.connect(each, weak=False)
    import asyncio

    with record_signals() as recording:
        signal.send(sender=None)
        asyncio.run(signal.asend(sender=None))
    for record in recording.filter(signal):
        assert sorted(call.name for call in record.calls) == sorted(expected.values())
    for each, name in expected.items():
        assert callable_name(each) == name
