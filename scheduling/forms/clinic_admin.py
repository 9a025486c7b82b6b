from django import forms
from django.utils import timezone

from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.models import AppointmentKind, Clinic, ClosedDate, Membership, Room
from scheduling.services.replans import protocol_problem


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
            "uc_thaw_lead_days",
            "follow_ups_in_pregnancy",
            "lab_name",
            "lab_cgmp_status",
            "disclosure_public",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    # What every course's plan depends on: a change re-plans the clinic's open courses.
    PLANNING_FIELDS = frozenset(Meta.fields) - {
        "name",
        "phone",
        "email",
        "lab_name",
        "lab_cgmp_status",
        "disclosure_public",
    }

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            problem = protocol_problem(self.instance)
            if problem:
                self.add_error(None, f"The planner cannot use these settings: {problem}")

    @property
    def planning_changed(self) -> bool:
        return bool(self.PLANNING_FIELDS & set(self.changed_data))


class RoomForm(forms.ModelForm):
    TAKEN = "The clinic already has a room of this name."

    visit_kinds = forms.MultipleChoiceField(
        label="Visits held here",
        choices=AppointmentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Free times offer this room only for these visits. None ticked: every visit.",
    )

    class Meta:
        model = Room
        fields = ["name", "visit_kinds"]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic
        self.editing = self.instance.pk is not None

    @property
    def holds_other_visits(self) -> bool:
        """An existing room's visits changed: its booked visits may no longer fit."""
        return self.editing and "visit_kinds" in self.changed_data

    def duplicates(self, name: str | None = None):
        name = self.cleaned_data.get("name", "") if name is None else name
        return Room.objects.filter(clinic=self.instance.clinic, name=name).exclude(
            pk=self.instance.pk
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if self.duplicates(name).exists():
            raise forms.ValidationError(self.TAKEN, code="unique")
        return name


class ClosedDateForm(ClinicDatesMixin, forms.ModelForm):
    TAKEN = "This day is already closed."

    class Meta:
        model = ClosedDate
        fields = ["date", "reason"]
        field_classes = {"date": ClinicDateField}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, today=timezone.localdate(timezone=clinic.zone), **kwargs)
        self.instance.clinic = clinic

    def duplicates(self, day=None):
        day = self.cleaned_data.get("date") if day is None else day
        return ClosedDate.objects.filter(clinic=self.instance.clinic, date=day).exclude(
            pk=self.instance.pk
        )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if self.duplicates(day).exists():
            raise forms.ValidationError(self.TAKEN, code="unique")
        return day


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
