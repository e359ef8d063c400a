"""The built wheel carries the templates and static files and renders the panel."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RENDER = """
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.staticfiles", "debug_toolbar", "signal_panel"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True}],
    STATIC_URL="/static/",
)
django.setup()

import signal_panel
from django.contrib.staticfiles import finders
from django.dispatch import Signal
from signal_panel.view.render import render_content

assert "site-packages" in signal_panel.__file__, signal_panel.__file__
assert finders.find("signal_panel/panel.js"), "panel.js not found by staticfiles"
signal = Signal()
signal.connect(lambda sender, **kwargs: "<ok>", weak=False)
with signal_panel.record_signals() as recording:
    signal.send(sender="wheel-check")
html = render_content(recording.to_stats())
assert "&#x27;wheel-check&#x27;" in html, html
print("RENDERED", len(html))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT],
        check=True,
    )
    [built] = out.glob("signal_panel-*.whl")
    return built


def test_wheel_contains_templates_and_static(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "signal_panel/templates/signal_panel/panel.html" in names
    assert "signal_panel/static/signal_panel/panel.js" in names
    assert "signal_panel/py.typed" in names


def test_wheel_renders_the_panel_in_a_fresh_virtualenv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    result = subprocess.run(
        [python, "-c", RENDER], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "RENDERED" in result.stdout
