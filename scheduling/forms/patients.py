from django import forms
from django.utils import timezone

from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.models import CourseStatus, Patient

STAGES = [("", "Any stage"), ("none", "No course yet"), *CourseStatus.choices]


class PatientForm(ClinicDatesMixin, forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "mrn",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "time_zone",
            "language",
            "diagnosis",
            "baseline_thickness_mm",
            "stated_cycle_length",
            "luteal_length",
            "prior_treatments",
        ]
        # Consent is recorded per course (forms/consent.py); the patient's own consent fields
        # are kept read-only on her page for records made before that.
        widgets = {
            "prior_treatments": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"baseline_thickness_mm": "Baseline thickness (mm)"}

    date_of_birth = ClinicDateField(
        label="Date of birth", required=False, future_allowed=False, recent=False
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, today=timezone.localdate(timezone=clinic.zone), **kwargs)
        self.clinic = clinic
        self.instance.clinic = clinic
        if not self.instance.pk:
            self.initial.setdefault("time_zone", clinic.time_zone)

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data["mrn"].strip()
        clash = Patient.objects.filter(clinic=self.clinic, mrn__iexact=mrn)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another patient of this clinic has this MRN.")
        return mrn


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, max_length=100, help_text="Name, MRN or email"
    )
    stage = forms.ChoiceField(label="Course stage", choices=STAGES, required=False)
