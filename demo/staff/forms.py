from django import forms

from demo.staff.models import Employee


class HireForm(forms.ModelForm):
    class Meta:
        model = Employee
        fields = ["name", "role"]
