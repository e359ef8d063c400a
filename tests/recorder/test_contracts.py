"""The hot path's contracts: one layout of a call, typed hooks, visible code.

The layout of a receiver's call is defined once (``recorder.inflight``) and
handed to the compiler (``instrument.CALL_SLOTS``); the hooks are typed
structures (``compiler.contracts``); and what the compiler makes of Django's
source is a pure function of that text, kept for the newest Django in
``tests/recorder/data/`` so that every change to the compiled code shows in
review (that file's README says how to regenerate it).
"""

import ast
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from time import perf_counter

import django
import pytest
from django.dispatch import Signal, dispatcher

from signal_panel import record_signals
from signal_panel.recorder import compiler, inflight, instrument, state
from signal_panel.recorder.compiler import rewrite

ROOT = Path(__file__).resolve().parents[2]
RECORDER = ROOT / "signal_panel" / "recorder"
DATA = Path(__file__).resolve().parent / "data"
REGENERATE = (
    "python -m signal_panel.recorder.compiler "
    "tests/recorder/data/django61_dispatcher.py.txt "
    "> tests/recorder/data/compiled_send_django61.txt"
)


def sections(text):
    """A rendered text's headings, each with its code's tree (None if the
    method is not compiled): the same on every Python, whose ``ast.unparse``
    differs in parentheses (3.10 writes ``(a, b) = ...``)."""
    found = []
    for part in text.split("\n\n\n"):
        heading, _, code = part.partition("\n")
        found.append((heading, ast.dump(ast.parse(code)) if code.strip() else None))
    return found


class TestCompiledText:
    """The compiled copies of Django 6.1's methods, as text, on any Django."""

    def compiled(self):
        source = (DATA / "django61_dispatcher.py.txt").read_text()
        return compiler.compiled_sources(source, instrument.CALL_SLOTS)

    def test_django_6_1s_compiled_send_is_the_checked_in_text(self):
        made = compiler.render(self.compiled())
        expected = (DATA / "compiled_send_django61.txt").read_text()
        message = f"the compiled code changed: if meant, run {REGENERATE}"
        assert sections(made) == sections(expected), message
        if sys.version_info >= (3, 11):  # 3.10's ast.unparse adds parentheses.
            assert made == expected, message

    def test_every_method_of_django_6_1_is_compiled(self):
        compiled = self.compiled()
        assert list(compiled) == ["_run_parallel", *compiler.SEND_METHODS]
        assert None not in compiled.values()
        assert "_sp_parallel(_sp_d, _run_parallel, async_receivers" in (
            compiled["asend"] or ""
        )

    def test_the_text_is_what_the_installed_django_gets(self):
        """Each method the text shows compiled is the installed one."""
        compiled = compiler.compiled_sources(
            Path(dispatcher.__file__).read_text(), instrument.CALL_SLOTS
        )
        for name in compiler.SEND_METHODS:
            kind = instrument._kinds[instrument.methods("compiled")[name]]
            assert (compiled[name] is not None) == (kind == "compiled"), name
        assert ("_run_parallel" in compiled) == hasattr(dispatcher, "_run_parallel")

    def test_the_command_prints_the_installed_djangos_compiled_send(self, tmp_path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DJANGO_SETTINGS_MODULE", None)  # No project needed.
        result = subprocess.run(
            [sys.executable, "-m", "signal_panel.recorder.compiler"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        heading, _, printed = result.stdout.partition("\n\n")
        assert heading == f"# Django {django.get_version()}: {dispatcher.__file__}"
        expected = compiler.compiled_sources(
            Path(dispatcher.__file__).read_text(), instrument.CALL_SLOTS
        )
        assert printed == compiler.render(expected)
        assert "# Signal.send\ndef send(self, sender, **named):" in printed
        assert "_sp_d = _sp_begin(self, 'send', sender, named, _sp_r)" in printed

    def test_the_command_reads_a_given_file(self, tmp_path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "signal_panel.recorder.compiler",
                str(DATA / "django61_dispatcher.py.txt"),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == compiler.render(self.compiled())


class TestLayout:
    """One layout of a receiver's call, in inflight, used everywhere."""

    def test_the_places_are_each_slot_once(self):
        places = [
            inflight.RECEIVER,
            inflight.INDEX,
            inflight.START,
            inflight.STOP,
            inflight.RESULT,
            inflight.ERROR,
            inflight.QUERIES,
            inflight.NESTED,
            inflight.TOKEN,
            inflight.OWNER,
        ]
        assert sorted(places) == list(range(inflight.SIZE))

    def test_new_call_follows_the_layout(self):
        receiver, owner = object(), 7
        call = inflight.new_call(receiver, 3, owner)
        assert len(call) == inflight.SIZE
        assert call[inflight.RECEIVER] is receiver
        assert call[inflight.INDEX] == 3
        assert call[inflight.OWNER] == owner
        assert isinstance(call[inflight.START], float)
        filled = {inflight.RECEIVER, inflight.INDEX, inflight.OWNER, inflight.START}
        assert [v for i, v in enumerate(call) if i not in filled] == [None] * 6

    def test_instrument_hands_the_compiler_inflights_layout(self):
        expected = compiler.CallSlots(
            size=inflight.SIZE,
            receiver=inflight.RECEIVER,
            start=inflight.START,
            stop=inflight.STOP,
            result=inflight.RESULT,
        )
        assert expected == instrument.CALL_SLOTS

    def test_a_compiled_sends_call_follows_the_layout(self):
        assert instrument.instrumentation() == "compiled"
        signal = Signal()
        seen = []

        def receiver(sender, **kwargs):
            seen.append(state.current().running)
            return "heard"

        signal.connect(receiver)
        with record_signals():
            signal.send(sender=None)
        [call] = seen
        assert len(call) == inflight.SIZE
        assert call[inflight.RECEIVER] is receiver
        assert call[inflight.RESULT] == "heard"
        assert call[inflight.START] <= call[inflight.STOP]

    @pytest.mark.parametrize(
        "slots",
        [
            compiler.CallSlots(size=12, receiver=7, start=1, stop=11, result=0),
            compiler.CallSlots(size=4, receiver=3, start=2, stop=1, result=0),
        ],
    )
    def test_another_layout_changes_the_compiled_code_consistently(self, slots):
        """The compiled send writes each value where ``slots`` says, and
        leaves the other places None."""
        calls = []

        class Dispatch:
            running = error = None

            def __init__(self):
                self.calls = calls

        hooks = fake_hooks(begin=lambda *args: Dispatch())
        send = compiler.compile_send("send", DjangoShaped.send, hooks, slots, "tests")
        assert send is not None

        def receiver(signal, sender, **named):
            return "heard"

        [(_, response)] = send(DjangoShaped([receiver]), None)
        assert response == "heard"
        [call] = calls
        assert len(call) == slots.size
        assert call[slots.receiver] is receiver
        assert call[slots.result] == "heard"
        assert 0 < call[slots.start] <= call[slots.stop]
        others = set(range(slots.size)) - {
            slots.receiver,
            slots.result,
            slots.start,
            slots.stop,
        }
        assert [call[i] for i in sorted(others)] == [None] * len(others)

    def test_a_layout_with_a_place_twice_is_refused(self):
        with pytest.raises(ValueError, match="not a layout"):
            compiler.CallSlots(size=10, receiver=0, start=2, stop=2, result=4)
        with pytest.raises(ValueError, match="not a layout"):
            compiler.CallSlots(size=4, receiver=0, start=2, stop=3, result=4)


class DjangoShaped:
    """Django's send as the rewrite knows it, sync receivers only."""

    def __init__(self, receivers):
        self.receivers = [(None, receiver) for receiver in receivers]

    def _live_receivers(self, sender):
        return [receiver for _, receiver in self.receivers], []

    def send(self, sender, **named):
        responses = []
        sync_receivers, _ = self._live_receivers(sender)
        for receiver in sync_receivers:
            response = receiver(signal=self, sender=sender, **named)
            responses.append((receiver, response))
        return responses


DjangoShaped.send.__module__ = "django.dispatch.dispatcher"
DjangoShaped.send.__qualname__ = "Signal.send"


def fake_hooks(**given):
    """SendHooks recording into nothing, but for those ``given``."""
    started = object()

    def ignore(*args):
        return None

    hooks = {field.name: ignore for field in dataclasses.fields(compiler.SendHooks)}
    hooks.update(
        recordings=lambda: ("recording",),
        request_started=started,
        request_finished=started,
        clock=perf_counter,
    )
    return compiler.SendHooks(**{**hooks, **given})


# A call's slots written with a bare number: ``call[3]``, ``_sp_call[4]``
# (in code, or in the compiler's templates), or a whole call as a literal.
CALL_NAMES = {"call", "_sp_call", "parent", "running"}
BARE_INDEX_IN_TEXT = re.compile(r"\b(?:_sp_call|call)\[\d+\]|None, None, None")


def bare_indexes(source: str, is_inflight: bool = False) -> list[str]:
    """Where ``source`` writes a call's slot with a number, not inflight's
    names (``inflight`` itself may make a call as a literal)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript):
            value = node.value
            name = getattr(value, "id", None) or getattr(value, "attr", None)
            index = node.slice
            if (
                name in CALL_NAMES
                and isinstance(index, ast.Constant)
                and isinstance(index.value, int)
            ):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.List) and not is_inflight:
            nones = [e for e in node.elts if getattr(e, "value", 0) is None]
            if len(nones) >= 3:
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.extend(BARE_INDEX_IN_TEXT.findall(node.value))
    return found


def test_no_module_of_the_recorder_writes_a_call_slot_by_number():
    found = {
        str(path.relative_to(RECORDER)): hits
        for path in sorted(RECORDER.rglob("*.py"))
        if (hits := bare_indexes(path.read_text(), path.name == "inflight.py"))
    }
    assert found == {}


@pytest.mark.parametrize(
    "planted",
    [
        "call[3] = perf_counter()\n",
        "x = parent[9]\n",
        "dispatch.running[4] = None\n",
        "T = '''\n_sp_call[3] = _sp_clock()\n'''\n",
        "call = [receiver, None, 0.0, None, None, None, None, None, None, None]\n",
    ],
)
def test_a_slot_written_by_number_is_found(planted):
    assert bare_indexes(planted) != []


class TestHooks:
    """The hooks are typed structures: a wrong one fails at once, loudly."""

    def test_a_missing_or_unknown_hook_is_a_type_error_where_they_are_built(self):
        made = instrument._hooks()
        hooks = {f.name: getattr(made, f.name) for f in dataclasses.fields(made)}
        del hooks["failed"]
        with pytest.raises(TypeError, match="failed"):
            compiler.SendHooks(**hooks)
        with pytest.raises(TypeError, match="fail"):
            compiler.SendHooks(**hooks, fail=None)

    def test_a_hook_the_code_uses_and_the_structure_lacks_fails_the_compile(
        self, monkeypatch
    ):
        """Not a copy that raises NameError on every send."""
        monkeypatch.setitem(
            compiler._GATED, "send", "if _sp_recorded():\n    return None\n"
        )
        hooks = compiler.GateHooks(recordings=None, request_started=None, record=None)
        with pytest.raises(TypeError, match="GateHooks gives no _sp_recorded"):
            compiler.compile_gated("send", DjangoShaped.send, hooks, "tests")

    def test_a_template_out_of_step_with_send_hooks_fails_the_compile(
        self, monkeypatch
    ):
        monkeypatch.setattr(
            rewrite, "_TIMED_SYNC", rewrite._TIMED_SYNC + "_sp_leave(_sp_d)\n"
        )
        with pytest.raises(TypeError, match="SendHooks gives no _sp_leave"):
            compiler.compile_send(
                "send", DjangoShaped.send, fake_hooks(), instrument.CALL_SLOTS, "t"
            )

    def test_the_installed_copies_get_the_recorders_functions(self):
        send = instrument.methods("compiled")["send"]
        if instrument._kinds[send] != "compiled":
            pytest.fail("send is not compiled on this Django")
        closure = dict(
            zip(
                send.__code__.co_freevars,
                (cell.cell_contents for cell in send.__closure__),
                strict=True,
            )
        )
        hooks = instrument._hooks()
        for field in dataclasses.fields(hooks):
            name = "_sp_" + field.name
            if name in closure:
                assert closure[name] is getattr(hooks, field.name), name
        assert {"_sp_begin", "_sp_end", "_sp_clock", "_sp_failed"} <= set(closure)
