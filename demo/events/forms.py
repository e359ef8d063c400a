from django import forms


class EventForm(forms.Form):
    source = forms.ChoiceField(
        choices=[(name, name) for name in ("checkout", "warehouse", "support")],
        help_text="Sent as the signal's sender: a plain string.",
    )
    message = forms.CharField(max_length=200)
