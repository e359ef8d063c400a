from django.contrib.auth.views import LogoutView
from django.urls import path

from demo.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("profiles/", views.profiles, name="profiles"),
    path("alerts/", views.alerts, name="alerts"),
    path("forgot-password/", views.forgot_password, name="forgot_password"),
]
