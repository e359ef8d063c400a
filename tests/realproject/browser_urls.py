"""The demo's URLs plus the real project's pages under ``realproject/``."""

from django.urls import include, path

from demo.urls import urlpatterns as demo

urlpatterns = [path("realproject/", include("tests.realproject.urls")), *demo]
