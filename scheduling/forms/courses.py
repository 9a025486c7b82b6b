from django import forms
from django.utils import timezone

from scheduling import timeline
from scheduling.forms.fields import ClinicDateField, ClinicDatesMixin
from scheduling.forms.widgets import DateInput
from scheduling.models import Course
from scheduling.selectors.courses import course_input


class CourseForm(ClinicDatesMixin, forms.ModelForm):
    """A course's set-up; ``plan_result`` is the engine's plan for the (unsaved) data."""

    last_period_start = ClinicDateField(
        label="Last period start (cycle day 1)",
        required=False,
        future_allowed=False,
        help_text="Needed once, when no period start is recorded for the patient yet.",
    )

    class Meta:
        model = Course
        fields = [
            "source",
            "route",
            "planned_infusions",
            "not_before",
            "preferred_infusion_day",
            "thickness_threshold_mm",
            "max_infusions",
            "transfer_wait_cycles",
        ]
        widgets = {"not_before": DateInput()}
        field_classes = {"not_before": ClinicDateField}
        labels = {
            "source": "Cell source",
            "not_before": "Earliest first visit",
            "preferred_infusion_day": "Preferred infusion cycle day (blank: clinic default)",
            "thickness_threshold_mm": "Thickness threshold, mm (blank: clinic default)",
            "max_infusions": "Maximum infusions (blank: clinic default)",
            "transfer_wait_cycles": "Cycles to wait before transfer (blank: clinic default)",
        }

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, today=timezone.localdate(timezone=patient.clinic.zone), **kwargs)
        self.instance.patient = patient
        self.instance.clinic = patient.clinic
        self.plan_result: timeline.Plan | None = None
        self.known_period_starts = list(patient.period_starts.values_list("date", flat=True))

    def _post_clean(self):
        # After the form copied the data onto the instance: ask the engine for its plan.
        super()._post_clean()
        if self.errors:
            return
        try:
            extra = self.cleaned_data.get("last_period_start")
            starts = sorted({*self.known_period_starts, *([extra] if extra else [])})
            self.plan_result = timeline.plan(course_input(self.instance, period_starts=starts))
        except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
            self.add_error(None, str(refusal))
