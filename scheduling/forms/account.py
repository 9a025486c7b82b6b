from django import forms
from django.contrib.auth.forms import AuthenticationForm

from scheduling.models import User

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


class StaffLoginForm(AuthenticationForm):
    """Django's sign-in form, refusing an over-long username before anything records it.

    Django sets the username's max_length only on the widget, so without this a hostile
    username reached authenticate() and the lockout table (varchar 255) on PostgreSQL.
    """

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if len(username) > USERNAME_MAX_LENGTH:
            raise forms.ValidationError(
                f"A username has at most {USERNAME_MAX_LENGTH} characters.", code="max_length"
            )
        return username
