"""Settings of the signal_panel demo site. Development only: never deploy these.

Environment overrides (the tests use them to run the site on temporary files):

- ``DEMO_VAR_DIR``: where the database, the event log and other runtime files
  go (default: ``demo/var/``, ignored by git);
- ``DEMO_DB``: the SQLite database file (default: ``<DEMO_VAR_DIR>/demo.sqlite3``).
"""

import os
from pathlib import Path

import django
from debug_toolbar.settings import PANELS_DEFAULTS
from django.conf import settings as django_settings
from django.http import HttpRequest

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite won't create the directory.

SECRET_KEY = "django-insecure-signal-panel-demo"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INTERNAL_IPS = ["127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Installed dependencies, as a real project has them: django-tasks (the
    # backport of Django 6's django.tasks) on Django < 6.0, and pagesearch
    # 1.4.2 (a search index app, tests/fixture_packages/pagesearch, installed
    # non-editable by tests/venv.sh). The help desk's tickets are indexed.
    *(["django_tasks"] if django.VERSION < (6, 0) else []),
    "pagesearch",
    "debug_toolbar",
    "signal_panel",
    "demo.core",
    "demo.accounts",
    "demo.staff",
    "demo.shop",
    "demo.events",
    "demo.mistakes",
]

MIDDLEWARE = [
    # As early as possible, so that it sees the other middleware's work.
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
ASGI_APPLICATION = "demo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The admin's pages get the demo's favicon from templates/admin/.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", VAR_DIR / "demo.sqlite3"),
        # Several runserver threads write at once (ddt's DatabaseStore in
        # every request, the panel's save after request_finished): take the
        # write lock at BEGIN and wait for it a while. A deferred transaction
        # that reads and then writes gets "database is locked" at once
        # (docs/compatibility.md).
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks run inline, inside the receiver that enqueues them: a
# ticket saved is indexed by pagesearch's task before save() returns.
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if django.VERSION >= (6, 0)
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "signal-panel-demo",
    }
}

# Sent messages stay in memory (django.core.mail.outbox); the "Forgot password"
# page shows them. The backend waits a little, like a real mail server would.
EMAIL_BACKEND = "demo.core.mail.SlowLocmemEmailBackend"
DEMO_EMAIL_LATENCY = 0.05  # seconds
DEFAULT_FROM_EMAIL = "demo@signal-panel.invalid"

# The custom signal of the "Event log" page appends to this file.
DEMO_EVENT_LOG = VAR_DIR / "events.log"

# The login that `manage.py seed_demo` creates; the home page shows it.
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"short": {"format": "[%(name)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "short"}},
    "loggers": {"demo": {"handlers": ["console"], "level": "INFO"}},
}

# django-debug-toolbar: its default panels, with signal_panel in place of the
# toolbar's own signals panel (which lists receivers, but records no dispatch).
DEBUG_TOOLBAR_PANELS = [
    "signal_panel.panel.SignalPanel"
    if panel == "debug_toolbar.panels.signals.SignalsPanel"
    else panel
    for panel in PANELS_DEFAULTS
]
DEBUG_TOOLBAR_CONFIG = {
    "SHOW_TOOLBAR_CALLBACK": "demo.settings.show_toolbar",
    # Off until ticked in the toolbar: the first two by the toolbar's default;
    # the alerts panel parses each page's HTML, which on the 5,000-row page
    # costs more than everything else the toolbar does.
    "DISABLE_PANELS": {
        "debug_toolbar.panels.profiling.ProfilingPanel",
        "debug_toolbar.panels.redirects.RedirectsPanel",
        "debug_toolbar.panels.alerts.AlertsPanel",
    },
}

# signal_panel's own settings (these are its defaults).
SIGNAL_PANEL = {
    # Keep the first few dispatches of each group in detail (plus the slowest);
    # the "Heavy list" page sends 5,000 post_init and shows the rest as counts.
    "DETAILED_PER_GROUP": 10,
    "MAX_DETAILED": 500,
}


def show_toolbar(request: HttpRequest) -> bool:
    """Show the toolbar on every page while DEBUG is on, whatever the client."""
    return bool(django_settings.DEBUG)
