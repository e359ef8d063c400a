"""Settings for signal_panel's own tests."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "signal-panel-tests"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INTERNAL_IPS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "debug_toolbar",
    "signal_panel",
    "tests.testapp",
]

MIDDLEWARE = [
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": ["django.template.context_processors.request"]
        },
    }
]

# SIGNAL_PANEL_TEST_DB names a SQLite file for tests that run real servers in
# other processes; the in-process test database is used otherwise.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SIGNAL_PANEL_TEST_DB", BASE_DIR / "test.sqlite3"),
        "TEST": {"NAME": os.environ.get("SIGNAL_PANEL_TEST_DB")},
    }
}

STATIC_URL = "/static/"

DEBUG_TOOLBAR_PANELS = [
    "debug_toolbar.panels.timer.TimerPanel",
    "debug_toolbar.panels.sql.SQLPanel",
    "signal_panel.panel.SignalPanel",
]
DEBUG_TOOLBAR_CONFIG = {
    "IS_RUNNING_TESTS": False,
    "SHOW_TOOLBAR_CALLBACK": "tests.settings.show_toolbar",
    "TOOLBAR_STORE_CLASS": os.environ.get(
        "SIGNAL_PANEL_TEST_STORE", "debug_toolbar.store.MemoryStore"
    ),
}
if os.environ.get("SIGNAL_PANEL_TEST_CACHE") == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["SIGNAL_PANEL_TEST_REDIS_URL"],
        }
    }


def show_toolbar(request):
    return request.headers.get("x-no-toolbar") is None


# Real-server tests (tests/servers.py): PostgreSQL instead of the SQLite file,
# and a larger toolbar store for many concurrent requests.
if os.environ.get("SIGNAL_PANEL_TEST_DATABASE_URL"):
    from urllib.parse import urlsplit

    _url = urlsplit(os.environ["SIGNAL_PANEL_TEST_DATABASE_URL"])
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
    }
if os.environ.get("SIGNAL_PANEL_TEST_RESULTS_CACHE_SIZE"):
    DEBUG_TOOLBAR_CONFIG["RESULTS_CACHE_SIZE"] = int(
        os.environ["SIGNAL_PANEL_TEST_RESULTS_CACHE_SIZE"]
    )
if os.environ.get("SIGNAL_PANEL_TEST_DB") and DATABASES["default"]["ENGINE"].endswith(
    "sqlite3"
):
    # Real servers handle requests concurrently; ddt's DatabaseStore writes in
    # every request (get_or_create in a transaction), which SQLite's default
    # deferred transactions turn into "database is locked".
    DATABASES["default"].setdefault(
        "OPTIONS", {"transaction_mode": "IMMEDIATE", "timeout": 30}
    )
