"""The real-project fixture's tests (tests/realproject/test_*.py), each file in
a pytest of its own under ``tests.realproject.settings``.

They cannot run in this process: the fixture installs apps and imports
``pagesearch.signals``, which would stay for every later test here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.realproject.settings"
FILES = sorted((ROOT / "tests" / "realproject").glob("test_*.py"))


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_real_project(path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTEST_") and key != "DJANGO_SETTINGS_MODULE"
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--ds={SETTINGS}", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed", result.stdout)
