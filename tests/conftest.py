import pytest
from django.dispatch import Signal

from signal_panel import capture


@pytest.fixture(params=["compiled copies", "plain wrappers"])
def instrumentation(request, monkeypatch):
    """Run a test with each way capture can instrument ``Signal``: compiled
    copies of Django's methods (recorded sends time receivers in place), and
    plain wrappers (Django's own methods, with probes for receivers)."""
    if request.param == "plain wrappers":
        for name, wrapper in capture._WRAPPERS.items():
            monkeypatch.setattr(Signal, name, wrapper)
    else:
        assert Signal.send.__code__.co_filename.endswith("dispatcher.py")
    return request.param
