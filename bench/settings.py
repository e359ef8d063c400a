"""Settings of the heavy-page benchmark.

``BENCH_PANEL=1`` adds ``signal_panel`` (app and panel) to the toolbar;
``BENCH_PANEL=0`` is the same toolbar without it. ``BENCH_DB`` names the
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

# The toolbar's default panels, with and without this one.
DEBUG_TOOLBAR_PANELS = [
    *PANELS_DEFAULTS,
    *(["signal_panel.panel.SignalPanel"] if WITH_PANEL else []),
]
DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": "bench.settings.show_toolbar"}


def show_toolbar(request):
    return True
