from django.urls import path

from demo.shop import views

app_name = "shop"

urlpatterns = [
    path("orders/", views.orders, name="orders"),
    path("catalog/", views.catalog, name="catalog"),
]
