"""Reads for the patient list and the patient page."""

import itertools
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    ACTIVE_STATUSES,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    Course,
    CourseStatus,
    Patient,
    PeriodStart,
    PeriodStartStatus,
    RescheduleRequest,
)
from scheduling.selectors.consent import has_consent
from scheduling.selectors.course_glance import Strip, course_strip, thickness_chart_data
from scheduling.selectors.courses import course_input
from scheduling.timeline.steps import label, sentence

# How services/outcomes.py cancels the visits a pregnancy holds.
HELD_REASON_START = "Pregnancy confirmed on"


def patient_search(*, clinic: Clinic, q: str = "", stage: str = "") -> QuerySet[Patient]:
    """The clinic's patients matching a name, MRN or email, with their latest course's stage."""
    latest = Course.objects.filter(patient=OuterRef("pk")).order_by("-created_at")
    patients = Patient.objects.filter(clinic=clinic).annotate(
        stage=Subquery(latest.values("status")[:1])
    )
    for term in q.split():
        patients = patients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(mrn__icontains=term)
            | Q(email__icontains=term)
        )
    if stage == "none":
        patients = patients.filter(stage__isnull=True)
    elif stage:
        patients = patients.filter(stage=stage)
    return patients.order_by("last_name", "first_name")


@dataclass
class CourseView:
    course: Course
    appointments: list
    plan: timeline.Plan | None
    plan_problem: str
    chart: dict | None  # static/js/thickness_chart.js's data (course_glance)
    strip: Strip | None = None

    @property
    def chart_id(self) -> str:
        return f"thickness-data-{self.course.pk}"

    @property
    def warnings(self) -> list[str]:
        """The plan's warnings, less those about booked days that no longer fit: each of those
        visits stays where it is and shows its own "needs re-booking" reason."""
        if self.plan is None:
            return []
        rejected = tuple(
            f"{sentence(label(choice.key))} was set for {choice.day}"
            for choice in self.plan.rejected_choices
        )
        return [w for w in self.plan.warnings if not rejected or not w.startswith(rejected)]

    @property
    def consent_in_force(self) -> bool:
        return has_consent(self.course)

    @property
    def held_follow_ups(self) -> list[str]:
        """The follow-ups held while she is pregnant, to be planned again when the pregnancy
        ends: the plan's held steps, or else the visits services/outcomes.py held."""
        if self.course.status != CourseStatus.PREGNANT:
            return []
        if self.plan is not None:
            held = [step.key for step in self.plan.steps if getattr(step, "held", False)]
            if held:
                return [sentence(label(key)) for key in held]
        visits = self.course.appointments.filter(
            kind=AppointmentKind.FOLLOW_UP,
            status=AppointmentStatus.CANCELLED,
            cancel_reason__startswith=HELD_REASON_START,
        ).order_by("starts_at")
        return [sentence(label(key)) for key in dict.fromkeys(v.step_key for v in visits)]


def course_views(patient: Patient) -> list[CourseView]:
    views = []
    today = timezone.localdate(timezone=patient.clinic.zone)
    for course in patient.courses.select_related("clinic", "patient").order_by("-created_at"):
        try:
            plan, problem = timeline.plan(course_input(course)), ""
        except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
            plan, problem = None, str(refusal)
        appointments = list(
            course.appointments.exclude(status=AppointmentStatus.CANCELLED)
            .select_related("room", "clinician")
            .order_by("starts_at")
        )
        chart = thickness_chart_data(course, plan, appointments)
        strip = course_strip(course, plan, appointments, today)
        views.append(CourseView(course, appointments, plan, problem, chart, strip))
    return views


def cycle_history(patient: Patient) -> list[tuple[PeriodStart, int | None]]:
    """Each reported CD1, newest first, with the length of the cycle it started (when known).

    A CD1 held "to check" is listed too, without a length: it does not count until a person
    applies it.
    """
    starts = list(patient.period_starts.order_by("date"))
    applied = [start.date for start in starts if start.status == PeriodStartStatus.APPLIED]
    following = dict(itertools.pairwise(applied))
    rows = [
        (
            start,
            (following[start.date] - start.date).days
            if start.status == PeriodStartStatus.APPLIED and start.date in following
            else None,
        )
        for start in starts
    ]
    return rows[::-1]


def open_reschedule_requests(patient: Patient) -> list[RescheduleRequest]:
    """Her requests no one has answered yet, oldest first, with the visit each is about."""
    return list(
        patient.reschedule_requests.filter(resolved_at__isnull=True)
        .select_related("appointment")
        .order_by("created_at")
    )


def open_appointments(patient: Patient):
    return patient.appointments.filter(status__in=ACTIVE_STATUSES).order_by("starts_at")
