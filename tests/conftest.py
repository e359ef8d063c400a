import pytest
from django.dispatch import Signal

from signal_panel.recorder import instrument

pytest_plugins = ["pytester"]

MODES = {
    "compiled copies": "compiled",
    "mixed": "mixed",
    "plain wrappers": "wrappers",
}


@pytest.fixture(params=list(MODES))
def instrumentation(request, monkeypatch):
    """Run a test with each way the recorder can instrument ``Signal``: compiled
    copies of Django's methods (receivers timed in Django's own frame), the
    mixed fallback (Django's methods gated, recording through probes), and
    plain wrappers (Django's own methods wrapped, with probes for receivers)."""
    mode = MODES[request.param]
    if mode == "compiled":
        assert instrument.instrumentation() == "compiled"
    else:
        for name, method in instrument.methods(mode).items():
            monkeypatch.setattr(Signal, name, method)
        assert instrument.instrumentation() == mode
    return request.param
