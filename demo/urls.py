from debug_toolbar.toolbar import debug_toolbar_urls
from django.contrib import admin
from django.urls import include, path

from demo.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("lifecycle/", views.lifecycle, name="lifecycle"),
    path("accounts/", include("demo.accounts.urls")),
    path("staff/", include("demo.staff.urls")),
    path("shop/", include("demo.shop.urls")),
    path("events/", include("demo.events.urls")),
    path("mistakes/", include("demo.mistakes.urls")),
    path("admin/", admin.site.urls),
    *debug_toolbar_urls(),
]
