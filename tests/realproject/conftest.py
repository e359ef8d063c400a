"""The tests in this directory need ``--ds=tests.realproject.settings``; under
any other settings they are not collected (tests/integration/test_realproject.py runs
them in a pytest of their own)."""

from django.conf import settings

if "tests.realproject" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]
