from django import forms
from django.contrib.auth import get_user_model

from demo.accounts.models import Alert


class NewMemberForm(forms.ModelForm):
    """A new site member; they get no password (they would reset it)."""

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name"]


class AlertForm(forms.ModelForm):
    class Meta:
        model = Alert
        fields = ["message", "level"]


class ForgotPasswordForm(forms.Form):
    login = forms.CharField(label="Username or email", max_length=254)
