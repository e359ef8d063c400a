"""A pytest fixture for recording signals in a project's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from signal_panel.recording import Recording


@pytest.fixture
def signal_recording() -> Iterator[Recording]:
    """Every signal dispatched during the test, as a ``Recording``."""
    from signal_panel.api import record_signals

    with record_signals() as recording:
        yield recording
