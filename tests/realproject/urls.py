from django.urls import path

from tests.realproject import views

app_name = "realproject"
urlpatterns = [
    path("publish/", views.publish_page, name="publish"),
    path("subtree/", views.delete_subtree, name="delete-subtree"),
    path("light/", views.light, name="light"),
]
