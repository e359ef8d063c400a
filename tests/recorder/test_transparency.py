"""A receiver sees the same callers, at the same depths, with and without recording.

Code that looks at the stack from a receiver (``warnings.warn(stacklevel=n)``,
``sys._getframe(n)``, ``inspect.stack()``, tracebacks) must find exactly
Django's frames: Django itself relies on it (``override_settings`` of a
complex setting warns with ``stacklevel=5``), and Python shows a
``DeprecationWarning`` only when it is attributed to ``__main__``. With the
compiled copies (the default) no frame of the recorder stands between the
user's ``send()`` call and a receiver; with the fallbacks (plain wrappers, or
gated methods recording through probes) one does, as
``docs/compatibility.md`` says.
"""

import asyncio
import contextlib
import inspect
import os
import textwrap
import warnings

import pytest
from django.conf import settings
from django.dispatch import Signal
from django.test import override_settings

from signal_panel import record_signals
from tests.servers import run_fresh_python

METHODS = ("send", "send_robust", "asend", "asend_robust")
LEVELS = (2, 3, 4, 5)


def warn_at_every_level(**kwargs):
    for level in LEVELS:
        warnings.warn(f"level {level}", UserWarning, stacklevel=level)
    return [(f.filename, f.lineno, f.function) for f in inspect.stack()[1:5]]


async def async_warn_at_every_level(**kwargs):
    await asyncio.sleep(0)
    return warn_at_every_level()


def send_from_here(signal, method):
    if method.startswith("a"):
        return asyncio.run(getattr(signal, method)(sender=None, n=1))
    return getattr(signal, method)(sender=None, n=1)


def some_caller(signal, method):
    return send_from_here(signal, method)


def seen_by_receivers(receiver, method, recording):
    """(where each level's warning points, the stack each receiver saw)."""
    signal = Signal()
    signal.connect(receiver, weak=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with record_signals() if recording else contextlib.nullcontext():
            responses = some_caller(signal, method)
    sites = [(str(w.message), w.filename, w.lineno) for w in caught]
    return sites, [response for _, response in responses]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("receiver", [warn_at_every_level, async_warn_at_every_level])
def test_stacklevels_point_where_they_would_without_recording(
    receiver, method, instrumentation
):
    plain_sites, plain_stacks = seen_by_receivers(receiver, method, recording=False)
    sites, stacks = seen_by_receivers(receiver, method, recording=True)
    assert len(plain_sites) == len(LEVELS)
    if instrumentation == "compiled copies":
        assert sites == plain_sites
        assert stacks == plain_stacks
    else:
        # A frame of the recorder between Django and the receiver.
        assert sites != plain_sites
        assert any(
            filename.endswith(os.path.join("signal_panel", "recorder", "probes.py"))
            for _, filename, _ in sites
        )


def callers(**kwargs):
    return [frame.function for frame in inspect.stack()[1:8]]


def test_a_receivers_caller_chain_reaches_the_user_unchanged(instrumentation):
    signal = Signal()
    signal.connect(callers, weak=False)
    with record_signals():
        [(_, functions)] = signal.send(sender=None)
    if instrumentation == "compiled copies":
        assert functions[:2] == [
            "send",
            "test_a_receivers_caller_chain_reaches_the_user_unchanged",
        ]
    else:
        assert "test_a_receivers_caller_chain_reaches_the_user_unchanged" in functions


def test_override_settings_of_a_complex_setting_warns_at_the_callers_line(
    instrumentation,
):
    """Django's complex_setting_changed warns with ``stacklevel=5``,
    "considering the current implementation of the signals framework"."""
    with record_signals() as recording, pytest.warns(UserWarning) as caught:
        line = inspect.currentframe().f_lineno + 1
        with override_settings(DATABASES=settings.DATABASES):
            pass
    [warning] = [w for w in caught if "Overriding setting DATABASES" in str(w.message)]
    if instrumentation == "compiled copies":
        assert (warning.filename, warning.lineno) == (__file__, line)
    assert "django.core.signals.setting_changed" in recording.signal_names()


@pytest.mark.parametrize("mode", ["compiled", "wrappers"])
def test_a_deprecation_warning_attributed_to_main_is_still_shown(tmp_path, mode):
    """Python's default filters show a DeprecationWarning only when its
    stacklevel points at ``__main__``: with a frame of the recorder in
    between, it was silently dropped."""
    script = tmp_path / "main.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import warnings

            import django
            from django.conf import settings

            settings.configure(SIGNAL_PANEL={{"INSTRUMENTATION": "{mode}"}})
            django.setup()
            from django.dispatch import Signal
            from signal_panel import record_signals
            from signal_panel.recorder.instrument import instrumentation

            def old_api(sender, **kwargs):
                warnings.warn("old_api is deprecated", DeprecationWarning, stacklevel=3)

            signal = Signal()
            signal.connect(old_api)
            with record_signals():
                signal.send(sender=None)
            print(instrumentation())
            """
        )
    )
    result = run_fresh_python(script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [mode]
    shown = "DeprecationWarning: old_api is deprecated" in result.stderr
    # The known limit of the fallback, documented in docs/compatibility.md.
    assert shown is (mode == "compiled"), result.stderr


def test_user_threads_parsing_python_are_not_disturbed(tmp_path):
    """Python 3.11's AST constructor fails when two threads build trees at
    once and something lets another thread run in between, which a
    garbage-collector callback running Python code does. With the recorder
    installed (and recording), a project's threads parsing Python must fail
    no more than without it: none."""
    script = tmp_path / "parse_in_threads.py"
    script.write_text(
        textwrap.dedent(
            """
            import ast, gc, inspect, sys, threading
            import django
            from django.conf import settings

            settings.configure()
            django.setup()
            from signal_panel import record_signals

            import django.db.models.base as base
            source = inspect.getsource(base)
            gc.set_threshold(100)
            failures = []

            def parse():
                with record_signals():
                    for _ in range(15):
                        try:
                            ast.parse(source)
                        except SystemError as exc:
                            failures.append(exc)

            threads = [threading.Thread(target=parse) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            print(len(failures))
            """
        )
    )
    result = run_fresh_python(script)
    assert result.stdout.split() == ["0"], result.stderr
