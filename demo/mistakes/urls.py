from django.urls import path

from demo.mistakes import views

app_name = "mistakes"

urlpatterns = [
    path("", views.common_mistakes, name="common_mistakes"),
]
