from django import forms

from scheduling.forms.widgets import DateInput
from scheduling.models import Clinic, ClosedDate, Membership, Room


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = [
            "name",
            "time_zone",
            "phone",
            "email",
            "open_weekdays",
            "opens_at",
            "closes_at",
            "preferred_infusion_day",
            "expansion_min_days",
            "expansion_max_days",
            "thickness_threshold_mm",
            "max_infusions",
            "transfer_wait_cycles",
            "follow_up_months",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name"]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic


class ClosedDateForm(forms.ModelForm):
    class Meta:
        model = ClosedDate
        fields = ["date", "reason"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic


class MembershipRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


class CalendarFeedForm(forms.Form):
    room = forms.ModelChoiceField(queryset=None, required=False)
    clinician = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, rooms, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms
        self.fields["clinician"].queryset = clinicians

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("room")) == bool(cleaned.get("clinician")):
            raise forms.ValidationError("Choose either a room or a clinician.")
        return cleaned
