from django import forms

from demo.shop.models import Customer, Order


class OrderForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = ["customer", "item", "quantity", "unit_price"]


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "email"]
