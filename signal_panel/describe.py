"""Short, safe text for recorded values.

Nothing here runs SQL, evaluates a QuerySet, follows a lazy relation or calls
a model's ``__str__``/``__repr__``: user objects are described from their type
and their ``__dict__``, never by calling their own ``repr()``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import inspect
import re
import types
import uuid
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.apps import apps
from django.db.models import Manager, Model
from django.db.models.query import QuerySet
from django.dispatch import Signal
from django.dispatch.dispatcher import NONE_ID
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import LazyObject, Promise, empty
from django.views.debug import SafeExceptionReporterFilter

from signal_panel.sources.signal_names import known_class, signal_name

MASK = "********"
MAX_KWARGS = 50
# Django's own rule for what its error pages hide (``API|AUTH|TOKEN|KEY|
# SECRET|PASS|SIGNATURE|HTTP_COOKIE``, case-insensitive, anywhere in the
# name), read from the filter so it follows Django, plus ``CREDENTIAL``.
# Like Django it errs on the side of hiding: ``AUTH`` masks ``authorization``
# and ``auth_header`` but also ``author``; ``KEY`` masks ``monkey``.
# ``SIGNAL_PANEL["HIDE_KEYS"]`` adds patterns; none can be taken away.
DEFAULT_SECRET_PATTERN = "|".join(
    (str(SafeExceptionReporterFilter.hidden_settings.pattern), "CREDENTIAL")
)

_PLAIN_REPR = (
    bool,
    int,
    float,
    complex,
    decimal.Decimal,
    uuid.UUID,
    datetime.date,
    datetime.datetime,
    datetime.time,
    datetime.timedelta,
    datetime.timezone,
    PurePath,
    range,
    slice,
)


class Describer:
    """Turns any value into a bounded, masked, side-effect-free string."""

    def __init__(
        self,
        max_length: int = 200,
        max_items: int = 10,
        max_depth: int = 3,
        secret_pattern: str = DEFAULT_SECRET_PATTERN,
    ) -> None:
        self.max_length = max_length
        self.max_items = max_items
        self.max_depth = max_depth
        self.secret = re.compile(secret_pattern, re.IGNORECASE)

    def is_secret(self, key: Any) -> bool:
        return isinstance(key, str) and self.secret.search(key) is not None

    def kwargs(self, named: dict[str, Any]) -> list[list[str]]:
        """``[[name, repr], …]`` for a send's keyword arguments, secrets masked.

        At most ``MAX_KWARGS`` of them; a last pair counts the rest.
        """
        pairs = [
            [self._cut(name), self.named_value(name, value)]
            for name, value in _first(named.items(), MAX_KWARGS)
        ]
        if len(named) > MAX_KWARGS:
            pairs.append(["…", f"{len(named) - MAX_KWARGS} more keyword arguments"])
        return pairs

    def named_value(self, name: str, value: Any) -> str:
        """``value``, masked whole if ``name`` says it is secret, unless it is
        a dict whose own keys say where its secrets are: then those, as at
        any depth (``credentials={'username': 'ada', 'password': '********'}``).
        """
        if not self.is_secret(name):
            return self.value(value)
        if type(value) is dict and any(self.is_secret(key) for key in value):
            return self.value(value)
        return MASK

    def value(self, value: Any) -> str:
        try:
            text = self._describe(value, self.max_depth, set())
        except Exception as exc:  # A hostile __getattr__, __eq__, __len__...
            name = qualified_name(type(value))
            text = f"<{name} (unrepresentable: {type(exc).__name__})>"
        return self._cut(text)

    def _cut(self, text: str) -> str:
        if len(text) > self.max_length:
            return text[: self.max_length - 1] + "…"
        return text

    def _describe(self, value: Any, depth: int, seen: set[int]) -> str:
        # type(), not isinstance(): isinstance reads __class__, which makes a
        # LazyObject (request.user...) evaluate itself.
        cls = type(value)
        if value is None or value is Ellipsis:
            return repr(value)
        if issubclass(cls, LazyObject):
            wrapped = value.__dict__.get("_wrapped", empty)
            if wrapped is empty:
                return f"<{cls.__name__} (not evaluated)>"
            return self._describe(wrapped, depth, seen)
        if issubclass(cls, str):
            return repr(value[: self.max_length])
        if issubclass(cls, (bytes, bytearray, memoryview)):
            return repr(bytes(value[: self.max_length]))
        if issubclass(cls, enum.Enum):
            return f"{type(value).__name__}.{value.name}"
        if issubclass(cls, _PLAIN_REPR) and cls.__repr__ in _SAFE_REPRS:
            return repr(value)
        if issubclass(cls, Model):
            return describe_instance(value)
        if issubclass(cls, type):
            return describe_class(value)
        if issubclass(cls, QuerySet):
            return describe_queryset(value)
        if issubclass(cls, Manager):
            return f"<Manager {describe_class(value.model)}>"
        if issubclass(cls, Promise):
            return f"<lazy {qualified_name(type(value))}>"
        if issubclass(cls, HttpRequest):
            return f"<{type(value).__name__}: {value.method} {value.path!r}>"
        if issubclass(cls, HttpResponseBase):
            return f"<{cls.__name__} status_code={value.status_code}>"
        if issubclass(cls, BaseException):
            return describe_exception(value, self.max_length)
        if issubclass(cls, Signal):
            return f"<Signal {signal_name(value)}>"
        if issubclass(cls, (types.FunctionType, types.MethodType, functools.partial)):
            return callable_name(value)
        if id(value) in seen or depth <= 0:
            return f"<{qualified_name(cls)} …>"
        seen = seen | {id(value)}
        if cls is dict and (request := self._request_of(value)) is not None:
            return request
        if issubclass(cls, dict):
            items = [
                f"{self._describe(k, 1, seen)}: "
                + (MASK if self.is_secret(k) else self._describe(v, depth - 1, seen))
                for k, v in _first(value.items(), self.max_items)
            ]
            return "{" + ", ".join(items) + _more(len(value), self.max_items) + "}"
        if issubclass(cls, (list, tuple, set, frozenset)):
            items = [
                self._describe(v, depth - 1, seen)
                for v in _first(value, self.max_items)
            ]
            body = ", ".join(items) + _more(len(value), self.max_items)
            if issubclass(cls, list):
                return f"[{body}]"
            if issubclass(cls, tuple):
                return f"({body}{',' if len(value) == 1 else ''})"
            return f"{type(value).__name__}({{{body}}})"
        if dataclasses.is_dataclass(value):
            fields = [
                f"{f.name}="
                + (
                    MASK
                    if self.is_secret(f.name)
                    else self._describe(value.__dict__.get(f.name), depth - 1, seen)
                )
                for f in _first(dataclasses.fields(value), self.max_items)
            ]
            return f"{type(value).__name__}({', '.join(fields)})"
        return f"<{qualified_name(cls)} object>"

    def _request_of(self, handle: dict[Any, Any]) -> str | None:
        """A WSGI environ or ASGI scope as the request it describes: never its
        server's process environment (a WSGI environ starts with it)."""
        if "wsgi.version" in handle or (
            "REQUEST_METHOD" in handle and "PATH_INFO" in handle
        ):
            kind = "WSGI environ"
            parts = [handle.get("REQUEST_METHOD"), handle.get("PATH_INFO")]
            query = handle.get("QUERY_STRING")
        elif handle.get("type") in ("http", "websocket") and "asgi" in handle:
            kind = "ASGI scope"
            parts = [handle["type"], handle.get("method"), handle.get("path")]
            query = handle.get("query_string")
        else:
            return None
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        words = [part for part in parts if isinstance(part, str)]
        request = " ".join(words) + (
            f"?{self._masked_query(query)}" if isinstance(query, str) and query else ""
        )
        return f"<{kind}: {request[: self.max_length]}>"

    def _masked_query(self, query: str) -> str:
        pairs = []
        for pair in query.split("&"):
            key, equals, _ = pair.partition("=")
            pairs.append(f"{key}={MASK}" if equals and self.is_secret(key) else pair)
        return "&".join(pairs)


_SAFE_REPRS = frozenset(vars(t).get("__repr__") or t.__repr__ for t in _PLAIN_REPR) | {
    object.__repr__
}


def _first(items: Iterable[Any], count: int) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if len(out) == count:
            break
        out.append(item)
    return out


def _more(total: int, shown: int) -> str:
    return f", … (+{total - shown})" if total > shown else ""


def qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(name, str):
        return type(obj).__qualname__
    return f"{module}.{name}" if isinstance(module, str) else name


def describe_class(cls: type) -> str:
    meta = cls.__dict__.get("_meta")
    if meta is not None and isinstance(cls, type) and issubclass(cls, Model):
        return str(meta.label)
    return qualified_name(cls)


def describe_instance(instance: Model) -> str:
    """``app_label.Model(pk=…)`` from the instance's own ``__dict__`` only."""
    meta = type(instance)._meta
    pk = instance.__dict__.get(meta.pk.attname) if meta.pk is not None else None
    return f"{meta.label}(pk={pk!r})" if _plain_pk(pk) else f"{meta.label}(pk=…)"


def _plain_pk(pk: Any) -> bool:
    return pk is None or isinstance(pk, (int, str, uuid.UUID))


def describe_queryset(queryset: QuerySet) -> str:
    label = queryset.model._meta.label if queryset.model is not None else "?"
    cache = queryset._result_cache
    state = "unevaluated" if cache is None else f"{len(cache)} cached"
    return f"<{type(queryset).__name__} {label} ({state})>"


def describe_exception(exc: BaseException, max_length: int = 200) -> str:
    return f"{qualified_name(type(exc))}: {exception_message(exc, max_length)}"


def exception_message(exc: BaseException, max_length: int = 200) -> str:
    """The exception's message; ``str()`` of exceptions is their own contract."""
    try:
        args = exc.args
        text = args[0] if len(args) == 1 and isinstance(args[0], str) else str(exc)
    except Exception:
        text = "<unprintable message>"
    return text[:max_length]


# Longest receiver name kept (names are the user's, and can be anything).
MAX_NAME_LENGTH = 500


def callable_name(func: Any) -> str:
    """A readable dotted name for a receiver or any callable."""
    name = _callable_name(func)
    if len(name) > MAX_NAME_LENGTH:
        return name[: MAX_NAME_LENGTH - 1] + "…"
    return name


def _callable_name(func: Any) -> str:
    if isinstance(func, functools.partial):
        return f"functools.partial({callable_name(func.func)})"
    if isinstance(func, types.MethodType):
        owner = func.__self__
        owner_name = describe_class(owner if isinstance(owner, type) else type(owner))
        return f"{owner_name}.{func.__func__.__name__}"
    if isinstance(func, (types.FunctionType, types.BuiltinFunctionType, type)):
        return qualified_name(func)
    return f"{qualified_name(type(func))}()"


def source_location(func: Any) -> tuple[str, int] | None:
    """``(file, line)`` where a receiver is defined, if Python knows it."""
    target = inspect.unwrap(getattr(func, "func", func))
    target = getattr(target, "__func__", target)
    code = getattr(target, "__code__", None)
    if code is None:  # A callable object: where its __call__ is defined.
        code = getattr(vars(type(target)).get("__call__"), "__code__", None)
    if code is None:
        return None
    return code.co_filename, code.co_firstlineno


def connected_sender(
    sender_key: Any, sender_ref: Any, describer: Describer
) -> str | None:
    """The sender a receiver was connected for (its key and reference in
    ``Signal.receivers``), described; None for any sender."""
    if sender_key == NONE_ID:
        return None
    sender = sender_for(sender_key, sender_ref)
    return (
        describer.value(sender) if sender is not None else f"<object id {sender_key}>"
    )


def sender_for(sender_key: Any, sender_ref: Any) -> Any:
    """The sender object of a connection, if it can be found: Django 6 keeps
    a weak reference to it; 5.2 only its id, for which models and classes of
    loaded modules are looked up."""
    if sender_ref is not None:
        return sender_ref()
    return _model_with_id(sender_key) or known_class(sender_key)


def _model_with_id(key: Any) -> type | None:
    # Django 5.2 keeps only id(sender); senders are most often models.
    for model in apps.get_models(include_auto_created=True):
        if id(model) == key:
            return model  # type: ignore[no-any-return]  # Django is untyped.
    return None
