"""Forms for a course's transfer, clinical outcomes and closing (services/outcomes.py)."""

from django import forms

from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.models import CLINICAL_KINDS, CourseStatus, EmbryoStage, OutcomeKind, TransferType
from scheduling.services.outcomes import CLOSING

YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


class TransferForm(ClinicDatesMixin, forms.Form):
    on = ClinicDateField(label="Transferred on", future_allowed=False)
    embryos = forms.IntegerField(label="Number of embryos", min_value=1, max_value=5)
    embryo_stage = forms.ChoiceField(label="Stage", choices=EmbryoStage.choices)
    transfer_type = forms.ChoiceField(label="Fresh or frozen", choices=TransferType.choices)
    note = forms.CharField(max_length=200, required=False)


class OutcomeForm(ClinicDatesMixin, forms.Form):
    """One clinical outcome; the fields its kind needs are required by the service."""

    kind = forms.ChoiceField(
        label="What happened",
        choices=[(k.value, k.label) for k in OutcomeKind if k in CLINICAL_KINDS],
    )
    on = ClinicDateField(label="On", future_allowed=False)
    beta_hcg = forms.DecimalField(
        label="β-hCG (IU/L)", required=False, min_value=0, max_digits=8, decimal_places=1,
        help_text="Pregnancy test.",
    )  # fmt: skip
    positive = forms.TypedChoiceField(
        label="Test positive", choices=YES_NO, required=False, coerce=lambda v: v == "yes",
        empty_value=None, help_text="Pregnancy test.",
    )  # fmt: skip
    heartbeat = forms.TypedChoiceField(
        label="Fetal heartbeat", choices=YES_NO, required=False, coerce=lambda v: v == "yes",
        empty_value=None, help_text="Clinical pregnancy.",
    )  # fmt: skip
    sacs = forms.IntegerField(
        label="Gestational sacs", required=False, min_value=1, max_value=5,
        help_text="Clinical pregnancy.",
    )  # fmt: skip
    weeks = forms.IntegerField(
        label="Gestational weeks", required=False, min_value=1, max_value=45,
        help_text="Miscarriage, live birth.",
    )  # fmt: skip
    babies = forms.IntegerField(
        label="Babies born alive", required=False, min_value=1, max_value=5,
        help_text="Live birth.",
    )  # fmt: skip
    note = forms.CharField(max_length=200, required=False)


class CloseForm(ClinicDatesMixin, forms.Form):
    status = forms.ChoiceField(
        label="How the course ends",
        choices=[(s.value, s.label) for s in CourseStatus if s in CLOSING],
    )
    on = ClinicDateField(
        label="On", future_allowed=False, required=False, help_text="Blank: today."
    )
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the clinic cancels. Never sent to the patient.",
    )  # fmt: skip
