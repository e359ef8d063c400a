from django.urls import path

from demo.events import views

app_name = "events"

urlpatterns = [
    path("log/", views.event_log, name="event_log"),
    path("robust/", views.robust, name="robust"),
    path("plain-send/", views.plain_send, name="plain_send"),
    path("price-check/", views.price_check, name="price_check"),
]
