"""tests.urls plus the real project's pages under ``realproject/``."""

from django.urls import include, path

from tests.urls import urlpatterns as test_project

urlpatterns = [
    path("realproject/", include("tests.realproject.urls")),
    *test_project,
]
