"""The browser tests' site (the demo, tests.browser.site_settings) plus the
real-project fixture's own app, its pages under ``/realproject/``. The demo
already installs pagesearch (and django-tasks before Django 6.0) with the
immediate task backend. Serve it with ``tests.browser.server.serve(var_dir,
settings=BROWSER_SETTINGS)`` after ``prepare(var_dir, settings=...)``."""

from tests.browser.site_settings import *  # noqa: F403
from tests.browser.site_settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.realproject"]
ROOT_URLCONF = "tests.realproject.browser_urls"
