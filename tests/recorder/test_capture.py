"""Every dispatch path is recorded, and Django's behaviour is unchanged."""

import asyncio
import contextlib
import gc
import logging
import weakref
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.dispatch import Signal, dispatcher

from signal_panel import record_signals
from signal_panel.recorder import async_receivers, inflight, instrument
from signal_panel.recorder.inflight import Probe

pytestmark = [
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
    pytest.mark.usefixtures("instrumentation"),
]


def returns_one(sender, **kwargs):
    return 1


def raises_value_error(sender, **kwargs):
    raise ValueError("boom")


def returns_kwargs(sender, **kwargs):
    return sorted(kwargs)


async def async_returns_two(sender, **kwargs):
    await asyncio.sleep(0)
    return 2


async def async_raises(sender, **kwargs):
    raise KeyError("async boom")


def broken_finish(dispatch):
    raise RuntimeError("broken finish")


@pytest.fixture
def signal():
    return Signal()


def no_probes(responses):
    return not any(issubclass(type(receiver), Probe) for receiver, _ in responses)


class TestSend:
    def test_records_signal_method_sender_kwargs_and_receivers(self, signal):
        signal.connect(returns_one)
        signal.connect(returns_kwargs)
        with record_signals() as recording:
            responses = signal.send(sender="tests", color="blue")

        assert responses == [(returns_one, 1), (returns_kwargs, ["color", "signal"])]
        assert responses[0][0] is returns_one
        [dispatch] = recording.dispatches
        assert dispatch.method == "send"
        assert dispatch.sender == "'tests'"
        assert dispatch.kwargs == [["color", "'blue'"]]
        assert dispatch.receivers == [
            "tests.recorder.test_capture.returns_one",
            "tests.recorder.test_capture.returns_kwargs",
        ]
        assert [call.result for call in dispatch.calls] == ["1", "['color', 'signal']"]
        assert all(call.duration >= 0 for call in dispatch.calls)
        assert dispatch.duration >= sum(call.duration for call in dispatch.calls)

    def test_exception_propagates_unchanged_and_is_recorded(self, signal):
        signal.connect(returns_one)
        signal.connect(raises_value_error)
        signal.connect(returns_kwargs)
        with record_signals() as recording, pytest.raises(ValueError) as info:
            signal.send(sender=None)

        assert str(info.value) == "boom"
        [dispatch] = recording.dispatches
        assert dispatch.error["type"] == "builtins.ValueError"
        assert [c.name for c in dispatch.calls] == [
            "tests.recorder.test_capture.returns_one",
            "tests.recorder.test_capture.raises_value_error",
        ]
        assert dispatch.calls[1].error["message"] == "boom"
        assert dispatch.not_called == [
            {
                "name": "tests.recorder.test_capture.returns_kwargs",
                "reason": "not reached: an earlier receiver raised",
            }
        ]

    def test_async_receivers_under_send(self, signal):
        signal.connect(returns_one)
        signal.connect(async_returns_two)
        with record_signals() as recording:
            responses = signal.send(sender=None)

        assert responses == [(returns_one, 1), (async_returns_two, 2)]
        assert no_probes(responses)
        [dispatch] = recording.dispatches
        assert [(c.name, c.is_async, c.result) for c in dispatch.calls] == [
            ("tests.recorder.test_capture.returns_one", False, "1"),
            ("tests.recorder.test_capture.async_returns_two", True, "2"),
        ]

    def test_no_receivers_is_counted_not_stored(self, signal):
        with record_signals() as recording:
            for _ in range(3):
                assert signal.send(sender="lonely") == []
        assert recording.dispatches == []
        [orphan] = recording.orphans.values()
        assert (orphan.sender, orphan.count) == ("'lonely'", 3)

    def test_sender_filter_is_respected_and_explained(self, signal):
        class Other:
            pass

        signal.connect(returns_one, sender=Other)
        signal.connect(returns_kwargs)
        with record_signals() as recording:
            responses = signal.send(sender="mine")

        assert responses == [(returns_kwargs, ["signal"])]
        [dispatch] = recording.dispatches
        [skipped] = dispatch.not_called
        assert skipped["name"] == "tests.recorder.test_capture.returns_one"
        assert skipped["reason"].startswith("connected for another sender")


class TestSendRobust:
    def test_caught_errors_are_returned_as_before_and_recorded(self, signal, caplog):
        signal.connect(raises_value_error)
        signal.connect(returns_one)
        with (
            caplog.at_level(logging.ERROR, "django.dispatch"),
            record_signals() as recording,
        ):
            responses = signal.send_robust(sender=None)

        assert responses[0][0] is raises_value_error
        assert isinstance(responses[0][1], ValueError)
        assert responses[1] == (returns_one, 1)
        # Django logs the receiver by its own __qualname__, not the probe's.
        assert "Error calling raises_value_error in Signal.send_robust()" in caplog.text
        [dispatch] = recording.dispatches
        assert dispatch.method == "send_robust"
        assert dispatch.error is None
        assert dispatch.calls[0].error["type"] == "builtins.ValueError"
        assert dispatch.calls[1].result == "1"

    def test_async_receiver_error_under_send_robust(self, signal):
        signal.connect(async_raises)
        with record_signals() as recording:
            [(receiver, response)] = signal.send_robust(sender=None)
        assert receiver is async_raises
        assert isinstance(response, KeyError)
        assert recording.dispatches[0].calls[0].error["type"] == "builtins.KeyError"


class TestAsend:
    async def test_sync_and_async_receivers(self, signal):
        signal.connect(returns_one)
        signal.connect(async_returns_two)
        with record_signals() as recording:
            responses = await signal.asend(sender="a")

        assert responses == [(returns_one, 1), (async_returns_two, 2)]
        assert no_probes(responses)
        [dispatch] = recording.dispatches
        assert dispatch.method == "asend"
        # On Django 5.2 both groups run concurrently: calls are in start order.
        assert {c.name: c.is_async for c in dispatch.calls} == {
            "tests.recorder.test_capture.returns_one": False,
            "tests.recorder.test_capture.async_returns_two": True,
        }

    async def test_exception_propagates(self, signal):
        signal.connect(async_raises)
        with record_signals() as recording, pytest.raises(KeyError):
            await signal.asend(sender=None)
        assert recording.dispatches[0].error["type"] == "builtins.KeyError"

    async def test_asend_robust(self, signal):
        signal.connect(raises_value_error)
        signal.connect(async_returns_two)
        with record_signals() as recording:
            responses = await signal.asend_robust(sender=None)

        assert responses[0][0] is raises_value_error
        assert isinstance(responses[0][1], ValueError)
        assert responses[1] == (async_returns_two, 2)
        [dispatch] = recording.dispatches
        assert dispatch.method == "asend_robust"
        assert {c.name: c.error is not None for c in dispatch.calls} == {
            "tests.recorder.test_capture.raises_value_error": True,
            "tests.recorder.test_capture.async_returns_two": False,
        }


class TestContext:
    def test_nothing_is_recorded_outside_the_block(self, signal):
        signal.connect(returns_one)
        with record_signals() as recording:
            pass
        signal.send(sender=None)
        assert recording.dispatches == []

    def test_other_threads_are_not_recorded(self, signal):
        """A thread started before the block is another context: its sends
        during the block are not the block's (one started inside it is
        followed: tests/recorder/test_threads.py)."""
        import threading

        signal.connect(returns_one)
        go = threading.Event()

        def send_when_told() -> None:
            go.wait(10)
            signal.send(sender=None)

        thread = threading.Thread(target=send_when_told)
        thread.start()
        with record_signals() as recording:
            go.set()
            thread.join()
        assert recording.dispatches == []
        assert recording.after_end == 0

    async def test_sync_to_async_hops_are_recorded(self, signal):
        from asgiref.sync import sync_to_async

        signal.connect(returns_one)
        with record_signals() as recording:
            await sync_to_async(signal.send)(sender="in a thread")
        assert [d.sender for d in recording.dispatches] == ["'in a thread'"]

    def test_nested_recordings_both_see_dispatches(self, signal):
        signal.connect(returns_one)
        with record_signals() as outer:
            signal.send(sender=1)
            with record_signals() as inner:
                signal.send(sender=2)
        assert [d.sender for d in outer.dispatches] == ["1", "2"]
        assert [d.sender for d in inner.dispatches] == ["2"]

    def test_nested_dispatch_links_to_parent(self, signal):
        inner_signal = Signal()
        inner_signal.connect(returns_one)

        def sends_inner(sender, **kwargs):
            inner_signal.send(sender="inner")

        signal.connect(sends_inner)
        with record_signals() as recording:
            signal.send(sender="outer")
        outer, inner = recording.dispatches
        assert outer.parent_id is None
        assert inner.parent_id == outer.id

    def test_a_task_outliving_its_dispatch_is_never_nested_in_a_later_one(self):
        """An async receiver's task keeps its call, and so the key of its
        dispatch, after the dispatch ended: a later dispatch must never get
        that key (an id() would be reused once the dispatch is freed)."""
        wrong = []
        for _ in range(20):
            first, second, third = Signal(), Signal(), Signal()
            gate = asyncio.Event()
            tasks = []

            async def later(gate=gate, third=third):
                await gate.wait()
                await third.asend(sender=None)

            async def spawner(sender, tasks=tasks, later=later, **kwargs):
                tasks.append(asyncio.ensure_future(later()))

            async def opens_the_gate(sender, gate=gate, **kwargs):
                gate.set()
                for _ in range(5):
                    await asyncio.sleep(0)

            first.connect(spawner, weak=False)
            second.connect(opens_the_gate, weak=False)
            third.connect(returns_one, weak=False)

            async def main(first=first, second=second, tasks=tasks):
                await first.asend(sender=None)
                await asyncio.sleep(0)
                gc.collect()  # As the collector may, at any time.
                await second.asend(sender=None)
                await asyncio.gather(*tasks)

            with record_signals() as recording:
                asyncio.run(main())
            [nested_in], [sent_later] = (
                recording.filter(second),
                recording.filter(third),
            )
            if sent_later.parent_id == nested_in.id:
                wrong.append(sent_later.parent_receiver)
        assert not wrong, f"{len(wrong)} of 20 nested in an unrelated dispatch"


class TestCompiledCopies:
    """While recording, a send runs Django's own code with the recorder in it."""

    def test_a_receivers_caller_is_djangos_send(self, signal, instrumentation):
        signal.connect(raises_value_error)
        with record_signals(), pytest.raises(ValueError) as info:
            signal.send(sender=None)

        frames = [(f.name, f.path) for f in info.traceback]
        assert frames[-1][0] == "raises_value_error"
        caller, caller_file = frames[-2]
        if instrumentation == "compiled copies":
            # Django's file and lines, no probe in between.
            assert (caller, caller_file.name) == ("send", "dispatcher.py")
            assert frames[-3][0] == "test_a_receivers_caller_is_djangos_send"
        else:
            assert caller_file.name == "probes.py"

    def test_live_receivers_stays_djangos_own_when_no_send_needs_probes(
        self, instrumentation
    ):
        django_own = instrument.original("_live_receivers")
        if instrumentation == "compiled copies":
            assert Signal.__dict__["_live_receivers"] is django_own
        else:
            assert Signal.__dict__["_live_receivers"] is not django_own

    @pytest.mark.parametrize("recording", [False, True])
    def test_patches_of_djangos_module_are_seen(self, signal, recording):
        """The copies run in Django's own module globals, not a snapshot."""
        signal.connect(async_returns_two)
        real = dispatcher.async_to_sync
        with (
            mock.patch.object(dispatcher, "async_to_sync", side_effect=real) as spy,
            record_signals() if recording else contextlib.nullcontext(),
        ):
            assert signal.send(sender=None) == [(async_returns_two, 2)]
        assert spy.called


class TestReferences:
    """What a recorded send leaves behind is what Django's own would."""

    def test_a_kept_send_robust_error_does_not_keep_the_recording(self, signal, caplog):
        signal.connect(raises_value_error)
        with record_signals() as recording:
            [(_, error)] = signal.send_robust(sender=None)
        assert recording.dispatches[0].calls[0].error["message"] == "boom"
        kept = weakref.ref(recording)
        del recording
        gc.collect()
        assert error.__traceback__ is not None
        assert kept() is None

    def test_a_task_made_by_a_nested_receiver_does_not_keep_the_outer_send(self):
        """A context copied while a nested dispatch is current (a task its
        receiver makes) keeps that dispatch: not the outer send's arguments."""
        outer, inner = Signal(), Signal()

        class Payload:
            pass

        tasks = []
        release = asyncio.Event()

        def inner_receiver(sender, **kwargs):
            tasks.append(asyncio.get_running_loop().create_task(release.wait()))

        def outer_receiver(sender, **kwargs):
            inner.send(sender=None)

        outer.connect(outer_receiver, weak=False)
        inner.connect(inner_receiver, weak=False)

        async def main():
            payload = Payload()
            kept = weakref.ref(payload)
            outer.send(sender=None, payload=payload)
            del payload
            gc.collect()
            alive = kept() is not None
            release.set()
            await asyncio.gather(*tasks)
            return alive

        with record_signals():
            assert not asyncio.run(main()), "the outer send's argument outlived it"

    def test_a_failing_recording_does_not_stop_the_others(self, signal, monkeypatch):
        signal.connect(returns_one)
        with record_signals() as outer, record_signals() as inner:
            # The outer recording is finished first.
            monkeypatch.setattr(outer, "finish", broken_finish)
            assert signal.send(sender=None) == [(returns_one, 1)]
        assert [call.name for call in inner.dispatches[0].calls] == [
            "tests.recorder.test_capture.returns_one"
        ]
        assert inner.groups and not inner.failures
        assert any("broken finish" in failure for failure in outer.failures)


class TestRecorderFailures:
    def test_a_failing_recorder_never_reaches_the_user(self, signal, monkeypatch):
        from signal_panel.api import Recording

        def broken(self, dispatch):
            raise RuntimeError("recorder bug")

        monkeypatch.setattr(Recording, "start", broken)
        signal.connect(returns_one)
        with record_signals() as recording:
            assert signal.send(sender=None) == [(returns_one, 1)]
        assert recording.failures
        assert "recorder bug" in recording.failures[0]
        assert not recording.complete


def test_the_recording_says_how_signal_is_instrumented(signal, instrumentation):
    from tests.conftest import MODES

    signal.connect(returns_one)
    with record_signals() as recording:
        signal.send(sender=None)
    assert recording.instrumentation == MODES[instrumentation]
    assert recording.to_stats()["instrumentation"] == MODES[instrumentation]


class TestAsyncRecorderFailures:
    @pytest.mark.parametrize("method", ["send", "send_robust", "asend", "asend_robust"])
    def test_a_failing_async_call_record_never_reaches_the_user(
        self, signal, monkeypatch, method
    ):
        def broken(*args, **kwargs):
            raise RuntimeError("recorder bug")

        signal.connect(returns_one)
        signal.connect(async_returns_two)
        # Making an async receiver's call: where the copies and the probes do.
        monkeypatch.setattr(async_receivers, "new_call", broken)
        monkeypatch.setattr(inflight, "new_call", broken)
        send = getattr(signal, method)
        with record_signals() as recording:
            if method.startswith("a"):
                responses = async_to_sync(send)(sender=None)
            else:
                responses = send(sender=None)
        assert responses == [(returns_one, 1), (async_returns_two, 2)]
        assert any("recorder bug" in failure for failure in recording.failures)


class TestWeakReferences:
    def test_receivers_die_when_django_would_let_them(self, signal, settings):
        """No reference cycle of the recorder keeps a weak receiver alive."""
        import gc
        import weakref

        settings.DEBUG = False  # connect()'s DEBUG check caches receivers

        class Listener:
            def on_signal(self, sender, **kwargs):
                return "heard"

        listener = Listener()
        signal.connect(listener.on_signal)
        gc.disable()
        try:
            with record_signals() as recording:
                assert signal.send(sender=None)[0][1] == "heard"
                alive = weakref.ref(listener)
                del listener
                assert alive() is None
                assert signal.send(sender=None) == []
        finally:
            gc.enable()
        assert len(recording.dispatches) == 1
