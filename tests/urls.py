from debug_toolbar.toolbar import debug_toolbar_urls
from django.urls import path

from tests.testapp import views

urlpatterns = [
    path("", views.home),
    path("articles/create/", views.create_article),
    path("articles/nested/", views.nested_saves),
    path("custom/", views.custom_signal),
    path("robust/", views.robust),
    path("raises/", views.raises),
    path("async/", views.async_view),
    path("slow/", views.slow),
    path("readings/", views.readings),
    *debug_toolbar_urls(),
]
