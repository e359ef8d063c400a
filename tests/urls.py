from django.urls import include, path

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
    path("outliving-thread/", views.outliving_thread),
    path("_test/", include("tests.testapp.probes")),
    # Not debug_toolbar_urls(): it is empty when pytest-django turns DEBUG off.
    path("__debug__/", include("debug_toolbar.urls")),
]
