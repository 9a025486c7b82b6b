"""Reads for the patient list and the patient page."""

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery

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
class ChartPoint:
    x: float
    y: float
    label: str


@dataclass
class ThicknessChart:
    width: int
    height: int
    points: list[ChartPoint]
    polyline: str
    threshold: Decimal
    threshold_y: float
    y_ticks: list[tuple[float, int]]
    top: float
    bottom: float
    left: float
    right: float


CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 560, 220, 44, 16, 12, 36


def thickness_chart(course: Course) -> ThicknessChart | None:
    """An endometrial-thickness chart across the course, with the threshold line."""
    measurements = list(course.measurements.all())
    baseline = course.patient.baseline_thickness_mm
    values: list[tuple[dt.date | None, Decimal, str]] = []
    if baseline is not None:
        values.append((None, baseline, f"Baseline {baseline} mm"))
    values += [
        (m.measured_on, m.thickness_mm, f"{m.measured_on:%-d %b %Y}: {m.thickness_mm} mm")
        for m in measurements
    ]
    if not values:
        return None
    threshold = course.thickness_threshold_mm or course.clinic.thickness_threshold_mm
    top_value = max(Decimal(12), max(v for _, v, _ in values) + 2, threshold + 2)
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    step = inner_w / max(len(values) - 1, 1)

    def y_of(value: Decimal) -> float:
        return round(PAD_T + inner_h * (1 - float(value / top_value)), 1)

    points = [
        ChartPoint(
            x=round(PAD_L + (step * i if len(values) > 1 else inner_w / 2), 1),
            y=y_of(value),
            label=label,
        )
        for i, (_, value, label) in enumerate(values)
    ]
    ticks = [(y_of(Decimal(v)), v) for v in range(0, int(top_value) + 1, 2)]
    return ThicknessChart(
        width=CHART_W,
        height=CHART_H,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        threshold=threshold,
        threshold_y=y_of(threshold),
        y_ticks=ticks,
        top=PAD_T,
        bottom=CHART_H - PAD_B,
        left=PAD_L,
        right=CHART_W - PAD_R,
    )


@dataclass
class CourseView:
    course: Course
    appointments: list
    plan: timeline.Plan | None
    plan_problem: str
    chart: ThicknessChart | None

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
    def held_follow_ups(self) -> list:
        """Follow-ups held while she is pregnant (services/outcomes.py), to plan again after."""
        if self.course.status != CourseStatus.PREGNANT:
            return []
        return list(
            self.course.appointments.filter(
                kind=AppointmentKind.FOLLOW_UP,
                status=AppointmentStatus.CANCELLED,
                cancel_reason__startswith=HELD_REASON_START,
            ).order_by("starts_at")
        )


def course_views(patient: Patient) -> list[CourseView]:
    views = []
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
        views.append(CourseView(course, appointments, plan, problem, thickness_chart(course)))
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
