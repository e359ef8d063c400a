"""Settings of the heavy-page benchmark.

``BENCH_PANEL=0`` is the toolbar with its default panels; ``BENCH_PANEL=1``
is the same toolbar configured as the README says: ``signal_panel`` in place
of the toolbar's own SignalsPanel. ``BENCH_DB`` names the
SQLite file (``bench/run.py`` makes a fresh one per process).
"""

import os

from debug_toolbar.settings import PANELS_DEFAULTS

WITH_PANEL = os.environ.get("BENCH_PANEL", "1") == "1"

SECRET_KEY = "signal-panel-bench"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INTERNAL_IPS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "bench.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "debug_toolbar",
    *(["signal_panel"] if WITH_PANEL else []),
    "bench.benchapp",
]

MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DB", ":memory:"),
    }
}

STATIC_URL = "/static/"

# The toolbar's default panels; with the panel, ours in place of SignalsPanel.
DEBUG_TOOLBAR_PANELS = [
    "signal_panel.panel.SignalPanel"
    if WITH_PANEL and panel == "debug_toolbar.panels.signals.SignalsPanel"
    else panel
    for panel in PANELS_DEFAULTS
]
DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": "bench.settings.show_toolbar"}


def show_toolbar(request):
    return True
