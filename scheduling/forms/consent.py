"""Forms for a course's consent and its withdrawal (services/consent.py)."""

from django import forms

from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.services.consent import DOCUMENT_TYPES


class ConsentForm(ClinicDatesMixin, forms.Form):
    form_version = forms.CharField(
        label="Consent form version",
        max_length=40,
        help_text="As printed on the form, e.g. 2026-03.",
    )
    signed_on = ClinicDateField(label="Signed on", future_allowed=False)
    witnessed_by = forms.CharField(
        label="Witnessed by", max_length=120, help_text="Who saw her sign."
    )
    document = forms.FileField(
        label="Signed form (optional)",
        required=False,
        help_text="PDF, PNG or JPEG, at most 10 MB. Kept outside the web site; staff only.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(DOCUMENT_TYPES)}),
    )


class WithdrawForm(ClinicDatesMixin, forms.Form):
    on = ClinicDateField(label="Withdrew on", future_allowed=False)
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="If she gave one. Kept on the course, never sent to her.",
    )
