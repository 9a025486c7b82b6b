"""Forms of the clinic page's staff section."""

from django import forms

from scheduling.models import Role


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.COORDINATOR)


class TwoFactorForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor sign-in (an authenticator app) for every staff member",
        required=False,
    )
