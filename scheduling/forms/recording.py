from decimal import Decimal

from django import forms

from scheduling.forms.widgets import DateInput


class PeriodStartForm(forms.Form):
    date = forms.DateField(
        label="First day of bleeding (cycle day 1)",
        widget=DateInput(),
        help_text="As the patient reported it, e.g. by phone.",
    )


class HarvestDoneForm(forms.Form):
    on = forms.DateField(label="Harvested on", widget=DateInput())
    lot_number = forms.CharField(
        label="Lot number", max_length=40, required=False, help_text="Blank: generated."
    )


class DoneForm(forms.Form):
    on = forms.DateField(
        label="Done on", widget=DateInput(), required=False, help_text="Blank: the booked day."
    )


class ThicknessForm(forms.Form):
    measured_on = forms.DateField(label="Measured on", widget=DateInput())
    thickness_mm = forms.DecimalField(
        label="Endometrial thickness (mm)",
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal("30"),
    )


class BatchProgressForm(forms.Form):
    note = forms.CharField(label="Progress note", max_length=200)


class BatchReleaseForm(forms.Form):
    released_on = forms.DateField(label="Released on", widget=DateInput())
    doses = forms.IntegerField(label="Doses", min_value=1, max_value=20)
    expires_on = forms.DateField(label="Expires on", widget=DateInput())
    identity = forms.BooleanField(label="Identity passed", required=False)
    purity = forms.BooleanField(label="Purity passed", required=False)
    viability = forms.BooleanField(label="Viability passed", required=False)
    sterility = forms.BooleanField(label="Sterility passed", required=False)
