"""Recording what happened: each fact is saved, then the course is re-planned from it.

A fact is never lost because a re-plan fails: it is saved first, and a plan the engine refuses
comes back as a sentence for the coordinator while the appointments stay as they were.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    BatchStatus,
    CellBatch,
    Course,
    CourseStatus,
    Patient,
    PeriodStart,
    ReportedBy,
    ThicknessMeasurement,
)
from scheduling.selectors.courses import current_batch
from scheduling.services import reminders
from scheduling.services.planning import ReplanResult, course_replan

CLOSED_COURSES = (CourseStatus.CANCELLED, CourseStatus.COMPLETED)
PERIOD_HISTORY_DAYS = 730


@dataclass
class Recorded:
    """What a recording did: the re-plans it caused and the problems a coordinator must see."""

    replans: list[ReplanResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def replan_after_fact(courses, *, notify: bool = True) -> Recorded:
    recorded = Recorded()
    for course in courses:
        try:
            recorded.replans.append(course_replan(course=course, notify=notify))
        except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
            recorded.problems.append(str(refusal))
    return recorded


def period_start_report(
    *,
    patient: Patient,
    date: dt.date,
    reported_by: str = ReportedBy.STAFF,
    actor=None,
    notify: bool = True,
) -> Recorded:
    """A period started on `date` (cycle day 1): save it and re-plan her open courses."""
    today = timezone.localdate(timezone=ZoneInfo(patient.time_zone))
    if date > today:
        raise ValidationError({"date": "A period start cannot be in the future."})
    if date < today - dt.timedelta(days=PERIOD_HISTORY_DAYS):
        raise ValidationError({"date": "That date is more than two years ago."})
    with transaction.atomic():
        PeriodStart.objects.get_or_create(
            patient=patient,
            date=date,
            defaults={"reported_by": reported_by, "reported_by_user": actor},
        )
    return replan_after_fact(patient.courses.exclude(status__in=CLOSED_COURSES), notify=notify)


def harvest_record_done(
    *, course: Course, on: dt.date, lot_number: str = "", notify: bool = True
) -> CellBatch:
    """The cells were collected on `on`: the harvest is done and the lab's expansion starts."""
    clinic = course.clinic
    with transaction.atomic():
        harvest = _live_step(course, "harvest") or Appointment(
            clinic=clinic,
            patient=course.patient,
            course=course,
            step_key="harvest",
            kind=AppointmentKind.HARVEST,
        )
        _set_done_on(harvest, on, clinic.zone)
        batch = CellBatch.objects.create(
            clinic=clinic,
            course=course,
            lot_number=lot_number or f"{clinic.slug.upper()}-{course.pk}-{on:%Y%m%d}",
            source=course.source,
            expansion_started_on=on,
            expected_ready_from=on + dt.timedelta(days=clinic.expansion_min_days),
            expected_ready_by=on + dt.timedelta(days=clinic.expansion_max_days),
        )
    replan_after_fact([course], notify=notify)
    return batch


def batch_record_progress(*, batch: CellBatch, note: str) -> CellBatch:
    batch.progress_note = note
    batch.full_clean()
    batch.save(update_fields=["progress_note", "updated_at"])
    return batch


def batch_release(
    *,
    batch: CellBatch,
    released_on: dt.date,
    doses: int,
    expires_on: dt.date,
    identity: bool,
    purity: bool,
    viability: bool,
    sterility: bool,
    notify: bool = True,
) -> Recorded:
    """Quality control passed: the batch may be infused from `released_on` until `expires_on`."""
    failed = [
        name
        for name, passed in (
            ("identity", identity),
            ("purity", purity),
            ("viability", viability),
            ("sterility", sterility),
        )
        if not passed
    ]
    errors = {}
    if failed:
        errors["__all__"] = (
            f"A batch is released only when every check passed; not: {', '.join(failed)}."
        )
    if doses < 1:
        errors["doses"] = "A released batch has at least one dose."
    if expires_on <= released_on:
        errors["expires_on"] = "The expiry must be after the release date."
    if released_on < batch.expansion_started_on:
        errors["released_on"] = "The release cannot be before the expansion started."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        batch.qc_identity = batch.qc_purity = batch.qc_viability = batch.qc_sterility = True
        batch.qc_released_on = released_on
        batch.doses = doses
        batch.expires_on = expires_on
        batch.status = BatchStatus.RELEASED
        batch.full_clean()
        batch.save()
    return replan_after_fact([batch.course] if batch.course_id else [], notify=notify)


def appointment_mark_done(
    *, appointment: Appointment, on: dt.date | None = None, notify: bool = True
) -> Recorded:
    """The visit took place (on `on`, when not on its planned day)."""
    if appointment.status in (AppointmentStatus.DONE, AppointmentStatus.CANCELLED):
        raise ValidationError(f"This appointment is already {appointment.get_status_display()}.")
    zone = appointment.clinic.zone
    day = on or appointment.starts_at.astimezone(zone).date()
    if day > timezone.localdate(timezone=zone):
        raise ValidationError({"on": "A visit cannot be recorded as done in the future."})
    with transaction.atomic():
        if appointment.kind == AppointmentKind.INFUSION and appointment.course_id:
            _use_dose(appointment.course, day)
        _set_done_on(appointment, day, zone)
    return replan_after_fact([appointment.course] if appointment.course_id else [], notify=notify)


def thickness_record(
    *,
    course: Course,
    measured_on: dt.date,
    thickness_mm: Decimal,
    recorded_by=None,
    notify: bool = True,
) -> Recorded:
    """An ultrasound result. The engine marks the ultrasound done and decides what follows."""
    if not Decimal("0") < Decimal(thickness_mm) <= Decimal("30"):
        raise ValidationError({"thickness_mm": "Endometrial thickness is between 0.1 and 30 mm."})
    if measured_on > timezone.localdate(timezone=course.clinic.zone):
        raise ValidationError({"measured_on": "A result cannot be dated in the future."})
    measurement = ThicknessMeasurement(
        course=course,
        measured_on=measured_on,
        thickness_mm=thickness_mm,
        recorded_by=recorded_by,
        appointment=_appointment_on(course, AppointmentKind.ULTRASOUND, measured_on),
    )
    measurement.full_clean()
    measurement.save()
    return replan_after_fact([course], notify=notify)


def _live_step(course: Course, step_key: str) -> Appointment | None:
    return (
        course.appointments.select_for_update()
        .filter(step_key=step_key)
        .exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
        .first()
    )


def _appointment_on(course: Course, kind: str, day: dt.date) -> Appointment | None:
    zone = course.clinic.zone
    for appointment in course.appointments.filter(kind=kind).exclude(
        status=AppointmentStatus.CANCELLED
    ):
        if appointment.starts_at.astimezone(zone).date() == day:
            return appointment
    return None


def _set_done_on(appointment: Appointment, day: dt.date, zone) -> None:
    """Mark done on `day`, keeping the booked local time (or the clinic's opening hour)."""
    if appointment.pk is None:
        local_time = appointment.clinic.opens_at
        duration = dt.timedelta(minutes=VISIT_MINUTES[appointment.kind])
    else:
        local_time = appointment.starts_at.astimezone(zone).time()
        duration = appointment.ends_at - appointment.starts_at
    starts_at = dt.datetime.combine(day, local_time, tzinfo=zone)
    if appointment.pk is not None and starts_at != appointment.starts_at:
        appointment.version += 1
    appointment.starts_at = starts_at
    appointment.ends_at = starts_at + duration
    appointment.status = AppointmentStatus.DONE
    appointment.uncertainty_days = 0
    appointment.save()
    reminders.reminders_sync(appointment=appointment)


def _use_dose(course: Course, day: dt.date) -> None:
    batch = current_batch(course)
    if batch is None or batch.status != BatchStatus.RELEASED:
        raise ValidationError("No released cell batch for this course: the lab must release it.")
    batch = CellBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.qc_released_on and day < batch.qc_released_on:
        raise ValidationError(f"The batch was released on {batch.qc_released_on}, after {day}.")
    if batch.expires_on and day > batch.expires_on:
        raise ValidationError(f"The batch expired on {batch.expires_on}.")
    if batch.doses_left < 1:
        raise ValidationError("The batch has no dose left.")
    batch.doses_used += 1
    if batch.doses_used == batch.doses:
        batch.status = BatchStatus.EXHAUSTED
    batch.save(update_fields=["doses_used", "status", "updated_at"])
