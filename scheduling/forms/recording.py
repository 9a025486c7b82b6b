from decimal import Decimal

from django import forms

from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.models import Appointment, BatchStatus, CellBatch, Clinic


class PeriodStartForm(ClinicDatesMixin, forms.Form):
    date = ClinicDateField(
        label="First day of bleeding (cycle day 1)",
        future_allowed=False,
        help_text="As the patient reported it, e.g. by phone.",
    )


class HarvestDoneForm(ClinicDatesMixin, forms.Form):
    LOT_TAKEN = "The clinic already has a batch with this lot number."

    on = ClinicDateField(label="Harvested on", future_allowed=False)
    lot_number = forms.CharField(
        label="Lot number", max_length=40, required=False, help_text="Blank: generated."
    )

    def __init__(self, *args, clinic: Clinic | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean_lot_number(self) -> str:
        lot_number = self.cleaned_data["lot_number"].strip()
        taken = CellBatch.objects.filter(clinic=self.clinic, lot_number=lot_number)
        if lot_number and self.clinic is not None and taken.exists():
            raise forms.ValidationError(self.LOT_TAKEN, code="unique")
        return lot_number


class DoneForm(ClinicDatesMixin, forms.Form):
    on = ClinicDateField(
        label="Done on", future_allowed=False, required=False, help_text="Blank: the booked day."
    )


class ThicknessForm(ClinicDatesMixin, forms.Form):
    """A result belongs to its ultrasound visit; without one it is an extra observation."""

    appointment = forms.ModelChoiceField(
        label="Ultrasound visit",
        queryset=None,
        required=False,
        empty_label="None: an extra observation (it never moves a booking)",
    )
    measured_on = ClinicDateField(label="Measured on", future_allowed=False)
    thickness_mm = forms.DecimalField(
        label="Endometrial thickness (mm)",
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal("30"),
    )

    def __init__(self, *args, visits=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        field.queryset = visits if visits is not None else Appointment.objects.none()
        field.label_from_instance = visit_label

    def clean(self):
        cleaned = super().clean()
        visit = cleaned.get("appointment")
        if visit is not None and not cleaned.get("measured_on"):
            cleaned["measured_on"] = visit.starts_at.astimezone(visit.clinic.zone).date()
        return cleaned


def visit_label(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(appointment.clinic.zone)
    name, status = appointment.get_kind_display(), appointment.get_status_display()
    return f"{name} ({appointment.step_key}) on {local:%a %-d %b %Y} — {status}"


class PeriodStartCorrectForm(ClinicDatesMixin, forms.Form):
    date = ClinicDateField(label="Correct cycle day 1", future_allowed=False)


class BatchProgressForm(forms.Form):
    note = forms.CharField(label="Progress note", max_length=200)


class BatchReleaseForm(ClinicDatesMixin, forms.Form):
    released_on = ClinicDateField(label="Released on", future_allowed=False)
    doses = forms.IntegerField(label="Doses", min_value=1, max_value=20)
    expires_on = ClinicDateField(label="Expires on")
    identity = forms.BooleanField(label="Identity passed", required=False)
    purity = forms.BooleanField(label="Purity passed", required=False)
    viability = forms.BooleanField(label="Viability passed", required=False)
    sterility = forms.BooleanField(label="Sterility passed", required=False)

    def __init__(self, *args, batch: CellBatch | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch = batch

    def clean(self):
        cleaned = super().clean()
        # Released once: a second release would overwrite the doses left and the dates.
        if self.batch is not None and self.batch.status != BatchStatus.EXPANDING:
            raise forms.ValidationError(
                f"Lot {self.batch.lot_number} is {self.batch.get_status_display().lower()} "
                "already; a batch is released once.",
                code="released",
            )
        return cleaned
