"""Courses with a history for the outcomes report: regular 28-day cycles, infusions on cycle
day 10, results and outcomes written as rows (the report only reads them), and the decided
response stored as the migration fills it (the engine's reading, without a re-plan)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseOutcome,
    PeriodStart,
    ThicknessMeasurement,
)
from scheduling.services.course_responses import course_responses_fill
from tests import factories

TRANSFER = {"embryos": 1, "embryo_stage": "blastocyst", "transfer_type": "frozen"}


def visit(course: Course, kind: str, day: dt.date, key: str = "") -> Appointment:
    starts = dt.datetime.combine(day, dt.time(10), tzinfo=course.clinic.zone)
    return Appointment.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        kind=kind,
        step_key=key,
        status=AppointmentStatus.DONE,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=VISIT_MINUTES[kind]),
    )


def treated_course(
    clinic,
    *,
    days_ago: int = 300,
    source: str = "bone-marrow",
    infusions: int = 1,
    response: float | None = 8.0,
    against_visit: bool = True,
    extra_results: tuple[tuple[int, float], ...] = (),
    outcomes: tuple[tuple[str, int, dict], ...] = (),
    status: str = "responded",
    patient=None,
    **patient_fields,
) -> Course:
    """A course whose first infusion was ``days_ago`` days ago, on cycle day 10 of a regular
    28-day cycle; the response ultrasound of each infusion is on day +30 (cycle day 12 of the
    next cycle, inside its late-proliferative window). ``response``: the last one's result
    (the earlier ones 5.5 mm), recorded against its visit or, ``against_visit=False``, as a
    free result on that day. ``extra_results``: (days after the first infusion, mm)."""
    today = timezone.localdate(timezone=clinic.zone)
    first = today - dt.timedelta(days=days_ago)
    if patient is None:
        patient_fields.setdefault("baseline_thickness_mm", Decimal("5.0"))
        patient = factories.PatientFactory(clinic=clinic, **patient_fields)
        cycle_one = first - dt.timedelta(days=9)
        for n in range(-3, 12):
            PeriodStart.objects.create(
                patient=patient, date=cycle_one + dt.timedelta(days=28 * n), reported_by="staff"
            )
    course = factories.CourseFactory(
        patient=patient, source=source, not_before=first - dt.timedelta(days=20), status=status
    )
    for number in range(1, infusions + 1):
        infused = first + dt.timedelta(days=28 * (number - 1))
        visit(course, AppointmentKind.INFUSION, infused, f"infusion-{number}")
        mm = response if number == infusions else 5.5
        if mm is None:
            continue
        on = infused + dt.timedelta(days=30)
        ultrasound = visit(course, AppointmentKind.ULTRASOUND, on, f"ultrasound-{number}")
        ThicknessMeasurement.objects.create(
            course=course,
            appointment=ultrasound if against_visit else None,
            measured_on=on,
            thickness_mm=Decimal(str(mm)),
        )
    for offset, mm in extra_results:
        ThicknessMeasurement.objects.create(
            course=course,
            measured_on=first + dt.timedelta(days=offset),
            thickness_mm=Decimal(str(mm)),
        )
    test = None
    for kind, offset, fields in outcomes:
        row = CourseOutcome.objects.create(
            course=course,
            kind=kind,
            occurred_on=first + dt.timedelta(days=offset),
            pregnancy_test=test if kind == "live-birth" else None,
            **fields,
        )
        if kind == "pregnancy-test" and fields.get("positive"):
            test = row
    course_responses_fill(course_ids=[course.pk])  # rows written without a re-plan
    course.refresh_from_db()
    return course


PREGNANT_AND_BORN = (
    ("transfer", 100, TRANSFER),
    ("pregnancy-test", 112, {"beta_hcg": 300, "positive": True}),
    ("clinical-pregnancy", 135, {"heartbeat": True, "sacs": 1}),
    ("live-birth", 290, {"weeks": 38, "babies": 1}),
)
