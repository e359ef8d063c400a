from django.urls import path

from demo.staff import views

app_name = "staff"

urlpatterns = [
    path("shifts/", views.shifts, name="shifts"),
]
