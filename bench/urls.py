from debug_toolbar.toolbar import debug_toolbar_urls
from django.urls import path

from bench.benchapp import views

urlpatterns = [
    path("rows/", views.rows),
    path("saves/", views.saves),
    path("light/", views.light),
    path("busy/", views.busy),
    *debug_toolbar_urls(),
]
