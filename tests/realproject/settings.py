"""Settings of the real-project fixture: tests.settings plus an installed
distribution (pagesearch) and the project's own app using it (realproject).

Opt-in, not part of tests.settings: once ``pagesearch.signals`` is imported
(it re-exports Django's signals), it is in the process for good, and
tests written for the plain test project would see its receivers and names.
Used by the tests in this directory (run under ``--ds=tests.realproject.settings``,
from the main run by tests/integration/test_realproject.py) and by servers started with
``DJANGO_SETTINGS_MODULE=tests.realproject.settings``.
"""

import django

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS[: INSTALLED_APPS.index("debug_toolbar")],
    # Django < 6.0: the backport of django.tasks, installed like a dependency.
    *(["django_tasks"] if django.VERSION < (6, 0) else []),
    # An installed distribution, listed before the toolbar like a project's
    # dependencies usually are: its package imports its signals module early.
    "pagesearch",
    *INSTALLED_APPS[INSTALLED_APPS.index("debug_toolbar") :],
    # The project's own app.
    "tests.realproject",
]
ROOT_URLCONF = "tests.realproject.site_urls"

# Tasks run inline, inside the receiver that enqueues them.
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if django.VERSION >= (6, 0)
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}
