"""The outcomes report's period and filters."""

from django import forms

from scheduling.models import AshermanSeverity, CellSource, Clinic, Diagnosis, Route
from scheduling.selectors.outcomes_report import ASHERMAN_PREFIX, ReportFilter, default_period

DIAGNOSES = [
    ("", "Any diagnosis"),
    (Diagnosis.THIN_ENDOMETRIUM, Diagnosis.THIN_ENDOMETRIUM.label),
    (Diagnosis.ASHERMAN, f"{Diagnosis.ASHERMAN.label} (any severity)"),
    *[
        (f"{ASHERMAN_PREFIX}{value}", f"{Diagnosis.ASHERMAN.label}: {label.lower()}")
        for value, label in AshermanSeverity.choices
    ],
]


class OutcomesFilterForm(forms.Form):
    since = forms.DateField(
        label="Courses started from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(label="to", widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.ChoiceField(
        label="Cell source", choices=[("", "Any source"), *CellSource.choices], required=False
    )
    route = forms.ChoiceField(choices=[("", "Any route"), *Route.choices], required=False)
    diagnosis = forms.ChoiceField(choices=DIAGNOSES, required=False)
    infusions = forms.TypedChoiceField(
        label="Infusions given",
        choices=[("", "Any number"), *[(str(n), str(n)) for n in range(4)]],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, data=None, *, clinic: Clinic):
        since, until = default_period(clinic)
        initial = {"since": since, "until": until}
        if data is not None and not data.get("since") and not data.get("until"):
            data = {**initial, **data.dict()}
        super().__init__(data, initial=initial)
        self.defaults = (since, until)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if since > until:
                self.add_error("until", "The period must end on or after its first day.")
            elif (until - since).days > 366 * 20:
                self.add_error("since", "Choose a period of at most twenty years.")
        return cleaned

    def report_filter(self) -> ReportFilter:
        """The filter the form says (the default period when it is not bound)."""
        if not self.is_bound:
            return ReportFilter(*self.defaults)
        data = self.cleaned_data
        return ReportFilter(
            since=data["since"],
            until=data["until"],
            source=data.get("source") or "",
            route=data.get("route") or "",
            diagnosis=data.get("diagnosis") or "",
            infusions=data.get("infusions"),
        )
