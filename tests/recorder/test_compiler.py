"""The compiled copies of Django's methods: made only from the code Python runs.

``signal_panel.recorder.compiler`` compiles Django's own ``Signal`` methods with the
recorder in them. A copy is made only when the method is Django's own, has
the shape the compiler knows, and its source on disk is the code Python is
running; otherwise the recorder falls back to wrappers and probes.
"""

import ast
import asyncio
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import django
import pytest
from asgiref.sync import async_to_sync
from django.dispatch import Signal, dispatcher

from signal_panel.recorder import async_receivers, compiler, instrument
from signal_panel.recorder.compiler.rewrite import is_receiver_call

ROOT = Path(__file__).resolve().parents[2]

# Methods that look like Django's Signal.send but are not the shape the
# copies expect: a receiver called inline, keyword-only or positional-only
# parameters (which the gate would not pass on).


class InlineReceiverCall:
    def send(self, sender, **named):
        responses = []
        sync_receivers, async_receivers = self._live_receivers(sender)
        for receiver in sync_receivers:
            response = receiver(signal=self, sender=sender, **named)
            responses.append((receiver, response))
        for receiver in async_receivers:
            responses.append((receiver, receiver(signal=self, sender=sender, **named)))
        return responses


class KeywordOnly:
    def send(self, sender, *, flag=False, **named):
        sync_receivers, _ = self._live_receivers(sender)
        for receiver in sync_receivers:
            response = receiver(signal=self, sender=sender, **named)
        return [(receiver, response)]


class PositionalOnly:
    def send(self, sender, /, **named):
        sync_receivers, _ = self._live_receivers(sender)
        for receiver in sync_receivers:
            response = receiver(signal=self, sender=sender, **named)
        return [(receiver, response)]


class UsesOurPrefix:
    def send(self, sender, **named):
        _sp_d = []
        sync_receivers, _ = self._live_receivers(sender)
        for receiver in sync_receivers:
            response = receiver(signal=self, sender=sender, **named)
            _sp_d.append((receiver, response))
        return _sp_d


class Expected:
    """The shape of Django's own send; the fakes above differ only where they say."""

    def send(self, sender, **named):
        responses = []
        sync_receivers, async_receivers = self._live_receivers(sender)
        for receiver in sync_receivers:
            response = receiver(signal=self, sender=sender, **named)
            responses.append((receiver, response))
        if async_receivers:

            async def asend():
                return await asyncio.gather(
                    *(
                        receiver(signal=self, sender=sender, **named)
                        for receiver in async_receivers
                    )
                )

            responses.extend(zip(async_receivers, async_to_sync(asend)(), strict=True))
        return responses


UNEXPECTED_SHAPES = [
    InlineReceiverCall.send,
    KeywordOnly.send,
    PositionalOnly.send,
    UsesOurPrefix.send,
]
for _shape in [*UNEXPECTED_SHAPES, Expected.send]:
    _shape.__module__ = "django.dispatch.dispatcher"
    _shape.__qualname__ = "Signal.send"


def hooks():
    return instrument._hooks()


def compile_send(name, original):
    return compiler.compile_send(
        name, original, hooks(), instrument.CALL_SLOTS, "tests"
    )


def compile_gated(name, original):
    return compiler.compile_gated(
        name,
        original,
        compiler.GateHooks(recordings=None, request_started=None, record=None),
        "tests",
    )


class TestShapes:
    def test_the_installed_methods_are_djangos_source_with_the_recorder_in(self):
        assert instrument.instrumentation() == "compiled"
        for name in compiler.SEND_METHODS:
            compiled = Signal.__dict__[name]
            original = compiled.__wrapped__
            assert original is instrument.original(name)
            assert compiled.__code__.co_filename == original.__code__.co_filename
            assert compiled.__code__.co_firstlineno == original.__code__.co_firstlineno
            assert compiled.__code__.co_varnames[:3] == ("self", "sender", "named")
            assert compiled.__qualname__ == f"Signal.{name}"

    def test_a_method_that_is_not_djangos_gets_no_copy(self):
        def send(self, sender, **named):
            return []

        assert compile_send("send", send) is None
        assert compile_gated("send", send) is None

    def test_the_copies_keep_djangos_columns(self):
        """Tracebacks underline the receiver's call where Django's file has it."""
        func = compiler.parse(instrument.original("send"), "send")
        lines = inspect.getsource(dispatcher).splitlines()
        calls = [node for node in ast.walk(func) if is_receiver_call(node)]
        assert calls
        for call in calls:
            line = lines[call.lineno - 1]
            assert line[call.col_offset :].startswith("receiver(signal=self")

    @pytest.mark.parametrize("shape", UNEXPECTED_SHAPES)
    def test_an_unexpected_shape_gets_no_recorded_copy(self, shape):
        assert compile_send("send", shape) is None
        gated = compile_gated("send", shape)
        if shape in (KeywordOnly.send, PositionalOnly.send):
            assert gated is None  # The gate could not pass their arguments on.
        else:
            assert gated is not None

    def test_the_expected_shape_gets_both_copies(self):
        assert compile_send("send", Expected.send) is not None
        assert compile_gated("send", Expected.send) is not None

    def test_django_6_1s_run_parallel_is_timed_in_a_copy_of_its_own(self):
        """Django 6.1 awaits async receivers in ``_run_parallel``; before, the
        copies hand them to ``asyncio.gather`` as tasks of their own."""
        run_parallel = getattr(dispatcher, "_run_parallel", None)
        if run_parallel is None:
            assert django.VERSION < (6, 1)
            assert async_receivers.timed_runners == {}
            return
        copy = async_receivers.timed_runners[run_parallel]
        assert copy.__code__.co_filename == dispatcher.__file__
        assert copy.__code__.co_varnames[:2] == ("_sp_d", "_sp_receivers")


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_djangos(function):
    function.__module__ = "django.dispatch.dispatcher"
    function.__qualname__ = "Signal.send"
    return function


class TestVerification:
    """A copy is made from the source on disk only if it is the code Python runs."""

    SOURCE = textwrap.dedent(
        """
        MARKER = "loaded"


        class Signal:
            def send(self, sender, **named):
                responses = []
                sync_receivers, async_receivers = self._live_receivers(sender)
                for receiver in sync_receivers:
                    response = receiver(signal=self, sender=sender, **named)
                    responses.append((receiver, response))
                return responses
        """
    )

    @pytest.fixture
    def loaded(self, tmp_path):
        path = tmp_path / "fake_dispatcher.py"
        path.write_text(self.SOURCE)
        module = load_module(path, "fake_dispatcher")
        return path, as_djangos(module.Signal.send)

    def rewrite(self, path: Path, source: str) -> None:
        path.write_text(source)
        os.utime(path, ns=(1, 1))  # A new mtime, whatever the clock's resolution.

    def test_the_unchanged_source_is_compiled(self, loaded):
        _, send = loaded
        assert compile_send("send", send) is not None
        assert compile_gated("send", send) is not None

    def test_a_changed_name_on_disk_is_not_compiled(self, loaded):
        path, send = loaded
        self.rewrite(path, self.SOURCE.replace("responses", "replies"))
        assert compile_send("send", send) is None
        assert compile_gated("send", send) is None

    def test_changed_lines_on_disk_are_not_compiled(self, loaded):
        """Same bytecode, other lines: tracebacks would point at wrong lines."""
        path, send = loaded
        self.rewrite(path, "# A comment added above.\n" + self.SOURCE)
        assert compile_send("send", send) is None

    def test_a_change_elsewhere_in_the_file_is_not_in_the_way(self, loaded):
        path, send = loaded
        self.rewrite(path, self.SOURCE.replace('"loaded"', '"edited"'))
        assert compile_send("send", send) is not None

    def test_a_deleted_file_is_not_compiled(self, loaded):
        path, send = loaded
        path.unlink()
        assert compile_send("send", send) is None


def test_django_edited_in_place_after_import_falls_back_to_wrappers(tmp_path):
    """Django's dispatcher.py changed on disk while the process runs (an
    upgrade in place, an editable checkout being edited): the recorder must
    not compile the new source into the old module, whose every send would
    then raise NameError. Run on a copy of Django, in a process of its own."""
    shutil.copytree(
        Path(django.__file__).parent,
        tmp_path / "django",
        ignore=shutil.ignore_patterns("*.mo", "*.po", "__pycache__"),
    )
    script = tmp_path / "edited.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from pathlib import Path

            import django
            from django.conf import settings

            settings.configure()
            django.setup()
            import django.dispatch.dispatcher as dispatcher
            from django.dispatch import Signal

            path = Path(dispatcher.__file__)
            assert path.is_relative_to(sys.argv[1]), path
            path.write_text(path.read_text().replace("NO_RECEIVERS", "NO_SUCH_NAME"))

            from signal_panel import record_signals
            from signal_panel.recorder import instrument

            signal = Signal()
            signal.connect(lambda sender, **kwargs: "heard", weak=False)
            with record_signals() as recording:
                [(_, response)] = signal.send(sender=None)
            assert response == "heard"
            [dispatch] = recording.dispatches
            assert [call.result for call in dispatch.calls] == ["'heard'"]
            print(instrument.instrumentation())
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wrappers"]
