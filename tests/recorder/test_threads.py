"""Sends from threads started inside a recording are recorded there (issue 24).

A receiver that starts a ``threading.Thread`` (or submits to a
``ThreadPoolExecutor``) gets that thread's sends nested under it, marked with
the thread's name. A thread that outlives the recording adds nothing to it:
its later sends are counted. Only the recorder's own state crosses into the
thread, never the user's context variables; nothing changes when nothing
records, or with ``SIGNAL_PANEL["THREADS"] = False``.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.dispatch import Signal
from django.test import override_settings

from signal_panel import record_signals
from signal_panel.checks import check_settings
from signal_panel.recorder import instrument, threads
from signal_panel.report import format_stats
from signal_panel.view.render import render_content

OUTER = Signal()
OTP_SENT = Signal()
LATER = Signal()
NOBODY = Signal()  # No receiver: its sends are counted as orphans.

RECEIVER = f"{__name__}.start_and_join"
WAIT = 10  # seconds: a bound for joins and events, never a timed assertion


def otp_receiver(sender: Any, **kwargs: Any) -> str:
    return "mailed"


def later_receiver(sender: Any, **kwargs: Any) -> None:
    pass


OTP_SENT.connect(otp_receiver)
LATER.connect(later_receiver)


def send_otp() -> None:
    OTP_SENT.send(sender="otp", code="123456")


def start_and_join(sender: Any, **kwargs: Any) -> None:
    """The tutorials' receiver: a thread sends the mail, and is joined."""
    worker = threading.Thread(target=send_otp, name="send-reset-code")
    worker.start()
    worker.join(WAIT)


class Mailer(threading.Thread):
    """A subclass overriding run(), as in the tutorial."""

    def __init__(self) -> None:
        super().__init__(name="mailer")
        self.result: list[Any] = []

    def run(self) -> None:
        self.result = OTP_SENT.send(sender="otp", code="654321")


def start_subclass(sender: Any, **kwargs: Any) -> None:
    worker = Mailer()
    worker.start()
    worker.join(WAIT)


@pytest.fixture
def connected():
    """Connect receivers to OUTER for one test."""
    receivers = []

    def connect(receiver):
        OUTER.connect(receiver, weak=False)
        receivers.append(receiver)

    yield connect
    for receiver in receivers:
        OUTER.disconnect(receiver)


def dispatch_of(document: dict[str, Any], signal: Signal) -> dict[str, Any]:
    name = {OUTER: "OUTER", OTP_SENT: "OTP_SENT", LATER: "LATER"}[signal]
    found = [d for d in document["dispatches"] if d["signal"].endswith(name)]
    assert len(found) == 1, document["dispatches"]
    return found[0]


@pytest.mark.usefixtures("instrumentation")
def test_a_joined_threads_send_nests_under_the_receiver_that_started_it(connected):
    connected(start_and_join)
    with record_signals() as recording:
        OUTER.send(sender="view")
    document = recording.to_stats()
    outer, sent = dispatch_of(document, OUTER), dispatch_of(document, OTP_SENT)
    assert sent["parent"] == outer["id"]
    assert sent["parent_kept"] is True
    assert sent["parent_receiver"] == RECEIVER
    assert sent["thread"] == "send-reset-code"
    assert "thread" not in outer
    assert [r["name"] for r in sent["receivers"]] == [f"{__name__}.otp_receiver"]
    assert sent["receivers"][0]["result"] == "'mailed'"
    # The same clock: inside the receiver's run.
    run = outer["receivers"][0]
    assert run["start_ms"] <= sent["start_ms"]
    assert sent["start_ms"] + sent["duration_ms"] <= (
        run["start_ms"] + run["duration_ms"]
    )
    assert document["summary"]["after_end"] == 0
    assert document["summary"]["threads_at_end"] == 0


@pytest.mark.usefixtures("instrumentation")
def test_a_thread_subclass_overriding_run(connected):
    connected(start_subclass)
    with record_signals() as recording:
        OUTER.send(sender="view")
    document = recording.to_stats()
    sent = dispatch_of(document, OTP_SENT)
    assert sent["parent"] == dispatch_of(document, OUTER)["id"]
    assert sent["parent_receiver"] == f"{__name__}.start_subclass"
    assert sent["thread"] == "mailer"


def test_a_thread_not_joined_still_nests_under_its_dispatch(connected):
    done = threading.Event()
    workers = []

    def start_only(sender: Any, **kwargs: Any) -> None:
        worker = threading.Thread(target=lambda: (send_otp(), done.set()), name="bg")
        workers.append(worker)
        worker.start()

    connected(start_only)
    with record_signals() as recording:
        OUTER.send(sender="view")
        assert done.wait(WAIT)  # The receiver (and its dispatch) returned first.
        workers[0].join(WAIT)
    document = recording.to_stats()
    sent = dispatch_of(document, OTP_SENT)
    assert sent["parent"] == dispatch_of(document, OUTER)["id"]
    assert sent["thread"] == "bg"


def test_a_thread_that_outlives_the_recording_adds_nothing_but_a_count(connected):
    go_on, sent_inside = threading.Event(), threading.Event()
    workers = []

    def run() -> None:
        send_otp()
        sent_inside.set()
        go_on.wait(WAIT)
        LATER.send(sender="late")
        LATER.send(sender="late")
        OTP_SENT.send(sender="otp", code="0")

    def start_only(sender: Any, **kwargs: Any) -> None:
        worker = threading.Thread(target=run, name="slow-mail")
        workers.append(worker)
        worker.start()

    connected(start_only)
    with record_signals() as recording:
        OUTER.send(sender="view")
        assert sent_inside.wait(WAIT)
    document = recording.to_stats()
    assert document["summary"]["threads_at_end"] == 1
    assert document["summary"]["after_end"] == 0
    go_on.set()
    workers[0].join(WAIT)
    assert not workers[0].is_alive()
    assert recording.after_end == 3
    document = recording.to_stats()
    assert document["summary"]["after_end"] == 3
    assert document["summary"]["threads_at_end"] == 1
    assert [d["signal"].rsplit(".", 1)[-1] for d in document["dispatches"]] == [
        "OUTER",
        "OTP_SENT",
    ]
    assert not any(g["signal"].endswith("LATER") for g in document["groups"])


@pytest.mark.usefixtures("instrumentation")
def test_thread_pool_submit_nests_and_its_workers_stay_unarmed(connected):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailers") as pool:

        def submit(sender: Any, **kwargs: Any) -> None:
            assert pool.submit(send_otp).result(WAIT) is None

        connected(submit)
        with record_signals() as recording:
            OUTER.send(sender="view")
        # The worker started inside the recording serves later work too:
        # that work is none of the recording's business.
        pool.submit(send_otp).result(WAIT)
        with record_signals() as other:
            pool.submit(send_otp).result(WAIT)
    document = recording.to_stats()
    sent = dispatch_of(document, OTP_SENT)
    assert sent["parent"] == dispatch_of(document, OUTER)["id"]
    assert sent["parent_receiver"].endswith("<locals>.submit")
    assert sent["thread"].startswith("mailers_")
    assert document["summary"]["after_end"] == 0
    assert document["summary"]["threads_at_end"] == 0
    assert recording.after_end == 0
    # Work submitted in a recording outside any receiver: top level, marked.
    sent = dispatch_of(other.to_stats(), OTP_SENT)
    assert "parent" not in sent  # top level
    assert sent["thread"].startswith("mailers_")


def test_a_thread_started_in_a_thread_nests_too(connected):
    def start_nested(sender: Any, **kwargs: Any) -> None:
        def middle() -> None:
            LATER.send(sender="middle")
            start_and_join(sender="middle")

        worker = threading.Thread(target=middle, name="outer-worker")
        worker.start()
        worker.join(WAIT)

    connected(start_nested)
    with record_signals() as recording:
        OUTER.send(sender="view")
    document = recording.to_stats()
    outer = dispatch_of(document, OUTER)
    middle, sent = dispatch_of(document, LATER), dispatch_of(document, OTP_SENT)
    assert middle["parent"] == outer["id"]
    assert middle["thread"] == "outer-worker"
    # Started outside any receiver of that thread: the thread's parent.
    assert sent["parent"] == outer["id"]
    assert sent["thread"] == "send-reset-code"


USER_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("user_var")


def test_the_users_context_variables_stay_as_python_gives_them(connected):
    seen: dict[str, Any] = {}

    def look(key: str) -> None:
        seen[key] = USER_VAR.get("unset")
        USER_VAR.set("set in the thread")

    def start(sender: Any, **kwargs: Any) -> None:
        worker = threading.Thread(target=look, args=("thread",))
        worker.start()
        worker.join(WAIT)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(look, "pool").result(WAIT)

    connected(start)
    token = USER_VAR.set("set in the parent")
    try:
        # Plain Python first: what the thread sees without a recording.
        start(sender="plain")
        plain = dict(seen)
        seen.clear()
        with record_signals() as recording:
            OUTER.send(sender="view")
        assert USER_VAR.get() == "set in the parent"
    finally:
        USER_VAR.reset(token)
    assert plain == {"thread": "unset", "pool": "unset"}
    assert seen == plain
    assert recording.signal_names()  # It did record.


def test_the_opt_out(connected):
    connected(start_and_join)
    with override_settings(SIGNAL_PANEL={"THREADS": False}):
        with record_signals() as recording:
            OUTER.send(sender="view")
        assert [name.rsplit(".", 1)[-1] for name in recording.signal_names()] == [
            "OUTER"
        ]
        assert recording.to_stats()["summary"]["after_end"] == 0


def test_the_opt_out_is_validated():
    with override_settings(SIGNAL_PANEL={"THREADS": "no"}):
        errors = check_settings()
    assert [e.id for e in errors] == ["signal_panel.E003"]
    assert "THREADS" in errors[0].msg
    with override_settings(SIGNAL_PANEL={"THREADS": False}):
        assert check_settings() == []


def test_nothing_changes_when_nothing_records():
    instrument.install()
    assert threads.is_installed()
    assert threading.Thread.start.__name__ == "start"
    calls: list[Any] = []
    worker = threading.Thread(target=lambda: calls.append(OTP_SENT.send(sender="x")))
    worker.start()
    assert "run" not in vars(worker)
    assert "_bootstrap_inner" not in vars(worker)
    worker.join(WAIT)
    assert len(calls) == 1
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(lambda: 42).result(WAIT) == 42


def test_transparent_results_and_exceptions(connected):
    raised = ValueError("boom")
    caught: list[BaseException | None] = []

    def fail() -> None:
        raise raised

    def hook(args: threading.ExceptHookArgs) -> None:
        caught.append(args.exc_value)

    def start(sender: Any, **kwargs: Any) -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(pow, 2, 10).result(WAIT) == 1024
            assert pool.submit(fail).exception(WAIT) is raised
            assert list(pool.map(abs, [-1, -2])) == [1, 2]
        worker = threading.Thread(target=fail)
        worker.start()
        worker.join(WAIT)
        # Its own methods, as Python has them, once it ran.
        assert not {"run", "_bootstrap_inner"} & set(vars(worker))
        mailer = Mailer()
        mailer.start()
        mailer.join(WAIT)
        assert mailer.result == [(otp_receiver, "mailed")]

    connected(start)
    previous, threading.excepthook = threading.excepthook, hook
    try:
        with record_signals():
            OUTER.send(sender="view")
        start(sender="plain")
    finally:
        threading.excepthook = previous
    assert caught == [raised, raised]
    with pytest.raises(RuntimeError, match="once"), record_signals():
        worker = threading.Thread(target=send_otp)
        worker.start()
        worker.join(WAIT)
        worker.start()


def test_the_panel_and_the_report_show_the_thread_and_what_was_left_out(connected):
    go_on = threading.Event()
    workers = []

    def run() -> None:
        send_otp()
        go_on.wait(WAIT)
        LATER.send(sender="late")

    def start(sender: Any, **kwargs: Any) -> None:
        start_and_join(sender)
        worker = threading.Thread(target=run, name="slow<mail>")
        workers.append(worker)
        worker.start()

    connected(start)
    with record_signals() as recording:
        OUTER.send(sender="view")
    go_on.set()
    workers[0].join(WAIT)
    document = recording.to_stats()
    html = render_content(document)
    assert 'class="djdt-sp-tag djdt-sp-thread"' in html
    assert "in thread send-reset-code" in html
    assert "in thread slow&lt;mail&gt;" in html  # Escaped, as every value.
    assert "slow<mail>" not in html
    assert (
        "1 thread started here was not done when the recording ended: its later "
        "sends are counted, not recorded." in html
    )
    assert "After the recording ended: 1 send." in html
    report = recording.report(width=200)
    assert "in thread send-reset-code" in report
    assert "1 thread still running at the end" in report
    assert "after the recording ended: 1 send" in report
    # Older documents (no thread fields) read as before.
    for dispatch in document["dispatches"]:
        dispatch.pop("thread", None)
    del document["summary"]["after_end"], document["summary"]["threads_at_end"]
    html = render_content(document)
    assert "djdt-sp-thread" not in html
    assert "after the recording ended" not in html.lower()
    assert "still running" not in format_stats(document)


def callers() -> list[str]:
    """The functions above the caller, up to the thread's ``_bootstrap_inner``
    (Python's, which calls ``run()``; the recorder's state is set above it)."""
    names = [frame.function for frame in inspect.stack()[2:]]
    return names[: names.index("_bootstrap_inner") + 1]


def test_a_thread_sees_the_same_callers(connected):
    """No frame of the recorder between the thread's run() and its target,
    nor between Python's _bootstrap_inner and run(): a receiver in the
    thread sees the stack it would."""
    seen: list[list[str]] = []

    def start(sender: Any, **kwargs: Any) -> None:
        worker = threading.Thread(target=lambda: seen.append(callers()))
        worker.start()
        worker.join(WAIT)
        mailer = Mailer()
        mailer.run = lambda: seen.append(callers())  # type: ignore[method-assign]
        mailer.start()
        mailer.join(WAIT)

    connected(start)
    start(sender="plain")
    with record_signals():
        OUTER.send(sender="view")
    assert seen[:2] == [["run", "_bootstrap_inner"], ["_bootstrap_inner"]]
    assert seen[2:] == seen[:2]


class OwnContextThread(threading.Thread):
    """As Python 3.14 runs a thread: run() inside the thread's own
    ``_context`` (``Thread(context=...)``), entered by ``_bootstrap_inner``."""

    def __init__(self, context: contextvars.Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._context = context

    def _bootstrap_inner(self) -> None:
        self._context.run(super()._bootstrap_inner)


def test_a_thread_running_in_its_own_context_is_followed_too(connected):
    context = contextvars.Context()

    def start(sender: Any, **kwargs: Any) -> None:
        worker = OwnContextThread(context, target=send_otp, name="own-context")
        worker.start()
        worker.join(WAIT)

    connected(start)
    with record_signals() as recording:
        OUTER.send(sender="view")
    document = recording.to_stats()
    sent = dispatch_of(document, OTP_SENT)
    assert sent["parent"] == dispatch_of(document, OUTER)["id"]
    assert sent["thread"] == "own-context"
    assert len(context) == 0  # The recorder's state was reset in it.


def test_concurrent_threads_feeding_one_recording_count_every_send():
    """Threads not joined in turn feed one recording at once: every send is
    counted once, and every dispatch kept in detail has its own number."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # Switch threads as often as possible.
    threads_count, sends = 4, 10000
    start = threading.Barrier(threads_count)

    def busy() -> None:
        start.wait(WAIT)
        for _ in range(sends):
            LATER.send(sender="busy")
            NOBODY.send(sender="busy")

    try:
        with record_signals() as recording:
            workers = [
                threading.Thread(target=busy, name=f"busy-{n}")
                for n in range(threads_count)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(WAIT * 6)
    finally:
        sys.setswitchinterval(old)
    stats = recording.to_stats()
    assert sum(g["count"] for g in stats["groups"]) == threads_count * sends
    assert sum(o["count"] for o in stats["orphans"]) == threads_count * sends
    ids = [d["id"] for d in stats["dispatches"]]
    assert len(ids) == len(set(ids))


def test_who_waits_for_the_threads_that_outlived_a_recording_is_called_once(
    connected,
):
    go_on = threading.Event()
    workers: list[threading.Thread] = []
    called: list[tuple[int, int, int]] = []

    def run() -> None:
        go_on.wait(WAIT)
        LATER.send(sender="late")

    def start_two(sender: Any, **kwargs: Any) -> None:
        for name in ("first", "second"):
            worker = threading.Thread(target=run, name=name)
            workers.append(worker)
            worker.start()

    connected(start_two)
    with record_signals() as recording:
        OUTER.send(sender="view")
        # Counted from their start, not from when they run.
        assert recording.threads_open == 2
    assert recording.to_stats()["summary"]["threads_running"] == 2

    def waiter(finished: Any) -> None:
        called.append(
            (threading.get_ident(), finished.after_end, finished.threads_at_end)
        )

    assert recording.when_threads_done(waiter)
    go_on.set()
    for worker in workers:
        worker.join(WAIT)
    # In the last thread to end, with both threads' late sends counted.
    assert len(called) == 1
    assert called[0][0] in {worker.ident for worker in workers}
    assert called[0][1:] == (2, 2)
    assert recording.to_stats()["summary"]["threads_running"] == 0
    # Nothing runs any more: nothing to wait for.
    assert not recording.when_threads_done(waiter)
    assert len(called) == 1


@contextlib.contextmanager
def work_queued_at_the_end(connected: Any) -> Iterator[tuple[Any, list[Any], Any]]:
    """A recording whose receiver submitted send_otp to a one-worker pool
    busy with other work: queued when the recording ends. Yields it, the
    queued future, and the event that frees the worker."""
    release = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="busy")
    try:
        pool.submit(release.wait, WAIT)  # Outside any recording: the blocker.
        futures: list[Any] = []

        def submit(sender: Any, **kwargs: Any) -> None:
            futures.append(pool.submit(send_otp))

        connected(submit)
        with record_signals() as recording:
            OUTER.send(sender="view")
        yield recording, futures, release
    finally:
        release.set()
        pool.shutdown()


def test_pool_work_still_queued_at_the_end_is_waited_for_and_counted(connected):
    called: list[int] = []
    with work_queued_at_the_end(connected) as (recording, futures, release):
        # Queued behind the blocker, not running: still not done.
        assert recording.threads_at_end == 1
        assert recording.to_stats()["summary"]["threads_running"] == 1
        assert recording.when_threads_done(lambda r: called.append(r.after_end))
        release.set()
        futures[0].result(WAIT)
    assert called == [1]
    summary = recording.to_stats()["summary"]
    assert (summary["threads_running"], summary["after_end"]) == (0, 1)


def test_cancelled_pool_work_is_not_waited_for(connected):
    called: list[int] = []
    with work_queued_at_the_end(connected) as (recording, futures, _):
        assert recording.when_threads_done(lambda r: called.append(r.after_end))
        assert futures[0].cancel()
        # Never to run: nothing left to wait for, nothing sent after the end.
        assert called == [0]
        assert recording.threads_open == 0


def test_a_thread_that_cannot_start_is_not_waited_for(connected, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("can't start new thread")

    # What Thread.start calls to make the OS thread (3.13: a joinable one).
    for name in ("_start_new_thread", "_start_joinable_thread"):
        if hasattr(threading, name):
            monkeypatch.setattr(threading, name, refuse)

    def start(sender: Any, **kwargs: Any) -> None:
        with pytest.raises(RuntimeError, match="can't start new thread"):
            threading.Thread(target=send_otp).start()

    connected(start)
    with record_signals() as recording:
        OUTER.send(sender="view")
    assert recording.threads_open == 0
    assert recording.threads_at_end == 0


def test_a_send_that_starts_as_the_recording_ends_is_counted_after_it():
    """The end is tested again under the recording's lock (a thread may send
    while the recording closes): such a send is counted, never recorded."""
    with record_signals() as recording:
        recording.share()

    class Sent:
        key = -1
        parent_key = None

    assert recording.start_in_thread(Sent(), "late", None) is False
    recording.count_orphan_in_thread(NOBODY, "late")
    assert recording.after_end == 2
    assert recording.dispatches == []
    assert recording.orphans == {}
