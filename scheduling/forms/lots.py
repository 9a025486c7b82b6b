"""Forms of the lab's donor-lot pages, the dose allocation and a batch's QC failure."""

from django import forms

from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.models import Clinic, DonorLot
from scheduling.services.lots import LOT_TAKEN
from scheduling.services.recording import QC_CHECKS


class DonorLotForm(ClinicDatesMixin, forms.Form):
    lot_number = forms.CharField(label="Lot number", max_length=40)
    donor_screening_ref = forms.CharField(label="Donor screening reference", max_length=80)
    doses = forms.IntegerField(label="Doses in the lot", min_value=1, max_value=200)
    expires_on = ClinicDateField(label="Expires on")
    storage_location = forms.CharField(
        label="Storage location", max_length=120, help_text="e.g. LN2 tank 2, rack C, box 4"
    )

    def __init__(self, *args, clinic: Clinic, lot: DonorLot | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic, self.lot = clinic, lot

    def clean_lot_number(self) -> str:
        number = self.cleaned_data["lot_number"].strip()
        taken = DonorLot.objects.filter(clinic=self.clinic, lot_number=number)
        if self.lot is not None:
            taken = taken.exclude(pk=self.lot.pk)
        if taken.exists():
            raise forms.ValidationError(LOT_TAKEN, code="unique")
        return number


class LotReleaseForm(ClinicDatesMixin, forms.Form):
    released_on = ClinicDateField(label="Released on", future_allowed=False)
    identity = forms.BooleanField(label="Identity passed", required=False)
    purity = forms.BooleanField(label="Purity passed", required=False)
    viability = forms.BooleanField(label="Viability passed", required=False)
    sterility = forms.BooleanField(label="Sterility passed", required=False)


class LotFailForm(forms.Form):
    reason = forms.CharField(
        label="Why the lot failed QC", max_length=300, help_text="Which check failed, and what."
    )


class DoseAllocateForm(forms.Form):
    GONE = (
        "That lot can no longer serve this course (its last dose was taken, or it expired or "
        "failed QC meanwhile); choose another lot."
    )
    lot = forms.ModelChoiceField(
        label="Donor lot",
        queryset=DonorLot.objects.none(),
        error_messages={"invalid_choice": GONE},
    )

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["lot"]
        field.queryset = DonorLot.objects.filter(pk__in=[lot.pk for lot in lots])
        field.label_from_instance = lambda lot: (
            f"{lot.lot_number}: {lot.doses_available} dose(s) available, expires "
            f"{lot.expires_on:%a %-d %b %Y}, {lot.storage_location}"
        )


class BatchFailForm(forms.Form):
    failed_checks = forms.MultipleChoiceField(
        label="Checks that failed",
        choices=[(name, name.capitalize()) for name in QC_CHECKS],
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label="What the lab found", max_length=250)
