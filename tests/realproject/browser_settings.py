"""The browser tests' site (the demo, tests.browser.site_settings) plus the
real-project fixture: pagesearch and realproject, its pages under
``/realproject/``. Serve it with ``tests.browser.server.serve(var_dir,
settings=BROWSER_SETTINGS)`` after ``prepare(var_dir, settings=...)``."""

import django

from tests.browser.site_settings import *  # noqa: F403
from tests.browser.site_settings import INSTALLED_APPS
from tests.realproject.settings import TASKS  # noqa: F401

INSTALLED_APPS = [
    *INSTALLED_APPS[: INSTALLED_APPS.index("debug_toolbar")],
    *(["django_tasks"] if django.VERSION < (6, 0) else []),
    "pagesearch",
    *INSTALLED_APPS[INSTALLED_APPS.index("debug_toolbar") :],
    "tests.realproject",
]
ROOT_URLCONF = "tests.realproject.browser_urls"
