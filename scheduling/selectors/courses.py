"""Reads that turn a course's rows into the timeline engine's input."""

import datetime as dt

from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    AllocationStatus,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    BatchStatus,
    CellBatch,
    CellSource,
    Clinic,
    Course,
    DoseAllocation,
    OutcomeKind,
    Patient,
    PeriodStartStatus,
    ThicknessMeasurement,
)

CHOSEN = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


def clinic_protocol(clinic: Clinic, course: Course | None = None) -> timeline.Protocol:
    """The clinic's protocol parameters with the course's overrides applied."""

    def pick(name: str):
        override = getattr(course, name, None) if course is not None else None
        return getattr(clinic, name) if override is None else override

    return timeline.Protocol(
        preferred_infusion_day=pick("preferred_infusion_day"),
        expansion_min_days=clinic.expansion_min_days,
        expansion_max_days=clinic.expansion_max_days,
        thickness_threshold_mm=float(pick("thickness_threshold_mm")),
        max_infusions=pick("max_infusions"),
        transfer_wait_cycles=pick("transfer_wait_cycles"),
        follow_up_months=clinic.follow_up_month_numbers,
        uc_thaw_lead_days=clinic.uc_thaw_lead_days,
        follow_ups_in_pregnancy=clinic.follow_ups_in_pregnancy,
    )


def clinic_closed_dates(clinic: Clinic) -> frozenset[dt.date]:
    return frozenset(clinic.closed_dates.values_list("date", flat=True))


def current_batch(course: Course) -> CellBatch | None:
    return course.batches.exclude(status=BatchStatus.FAILED).order_by("-created_at").first()


def applied_period_starts(patient: Patient):
    """Her CD1s that count (those held "to check" wait for a person)."""
    return patient.period_starts.filter(status=PeriodStartStatus.APPLIED).values_list(
        "date", flat=True
    )


def course_facts(course: Course, appointments: list[Appointment] | None = None) -> timeline.Facts:
    """What has happened in the course so far, as dates in the clinic's time zone.

    ``appointments``: the course's appointments when the caller has them (locked) already.
    """
    zone = course.clinic.zone
    if appointments is None:
        appointments = list(course.appointments.filter(status=AppointmentStatus.DONE))
    done: dict[str, list[dt.date]] = {}
    steps_done = {}
    for appointment in appointments:
        if appointment.status == AppointmentStatus.DONE:
            day = appointment.starts_at.astimezone(zone).date()
            done.setdefault(appointment.kind, []).append(day)
            steps_done[appointment.pk] = appointment.step_key
    for days in done.values():
        days.sort()
    harvested = {
        appointment.step_key: appointment.starts_at.astimezone(zone).date()
        for appointment in appointments
        if appointment.status == AppointmentStatus.DONE and appointment.step_key == "harvest"
    }
    if course.source == CellSource.UMBILICAL_CORD:
        cells = _donor_dose(course)  # no harvest, no batch: a dose of a donor lot
    else:
        batch = current_batch(course)
        released = batch is not None and batch.status in (
            BatchStatus.RELEASED,
            BatchStatus.EXHAUSTED,
        )
        cells = {
            # the harvest step's visit: one whose batch failed QC no longer holds the step
            "harvested_on": harvested.get("harvest"),
            "released_on": batch.qc_released_on if released else None,
            "expires_on": batch.expires_on if batch is not None else None,
        }
    return timeline.Facts(
        **cells,
        **_outcome_facts(course),
        infusions_done=tuple(done.get(AppointmentKind.INFUSION, ())),
        thickness_results=tuple(
            timeline.Thickness(
                measurement.measured_on,
                float(measurement.thickness_mm),
                _response_key(measurement, steps_done),
            )
            for measurement in course.measurements.order_by("measured_on", "pk")
        ),
    )


def _donor_dose(course: Course) -> dict:
    """The donor-lot dose reserved for the course's next infusion: the day it was reserved
    (in the clinic's zone) and the lot's expiry."""
    allocation = (
        DoseAllocation.objects.filter(course=course, status=AllocationStatus.RESERVED)
        .select_related("lot")
        .order_by("-reserved_at")
        .first()
    )
    if allocation is None:
        return {}
    return {
        "lot_allocated_on": allocation.reserved_at.astimezone(course.clinic.zone).date(),
        "expires_on": allocation.lot.expires_on,
    }


def _outcome_facts(course: Course) -> dict:
    """The latest embryo transfer, the pregnancy tests after it and the end of a pregnancy
    they found (a miscarriage or an ectopic pregnancy): what the engine plans around."""
    rows = list(
        course.outcomes.filter(
            kind__in=(
                OutcomeKind.TRANSFER,
                OutcomeKind.PREGNANCY_TEST,
                OutcomeKind.MISCARRIAGE,
                OutcomeKind.ECTOPIC,
            )
        )
        .order_by("occurred_on", "pk")
        .values_list("kind", "occurred_on", "positive")
    )
    transfers = [day for kind, day, _ in rows if kind == OutcomeKind.TRANSFER]
    if not transfers:
        return {}
    transfer = transfers[-1]
    tests = {
        day: bool(positive)
        for kind, day, positive in rows
        if kind == OutcomeKind.PREGNANCY_TEST and day >= transfer
    }
    positives = [day for day, positive in tests.items() if positive]
    ended = [
        day
        for kind, day, _ in rows
        if kind in (OutcomeKind.MISCARRIAGE, OutcomeKind.ECTOPIC)
        and positives
        and day >= positives[0]
    ]
    return {
        "transfer_on": transfer,
        "pregnancy_tests": tuple(timeline.PregnancyTest(day, test) for day, test in tests.items()),
        "pregnancy_ended_on": ended[-1] if ended else None,
    }


def _response_key(measurement: ThicknessMeasurement, steps_done: dict) -> str | None:
    """The ultrasound step a result was recorded against, if any."""
    key = steps_done.get(measurement.appointment_id, "")
    return key if key.startswith("ultrasound-") else None


def course_chosen_days(
    course: Course, appointments: list[Appointment] | None = None, *, today: dt.date
) -> tuple[tuple[str, dt.date], ...]:
    """The days the clinic chose for steps still to come: the local day of each live
    appointment that is booked or confirmed, or pinned (a tentative visit a coordinator moved)
    on a day not yet past. A pinned day that has passed was never booked: nobody came, so
    the step is planned again from today."""
    zone = course.clinic.zone
    if appointments is None:
        appointments = list(course.appointments.exclude(step_key=""))
    chosen = []
    for appointment in appointments:
        day = appointment.starts_at.astimezone(zone).date()
        pinned = appointment.status == AppointmentStatus.TENTATIVE and appointment.pinned
        if appointment.step_key and (appointment.status in CHOSEN or (pinned and day >= today)):
            chosen.append((appointment.step_key, day))
    return tuple(sorted(chosen))


def _planned_infusions(course: Course, protocol: timeline.Protocol) -> int:
    """A clinic that lowered its maximum does not wedge a course that planned more; a
    course's own maximum below its planned number is the course form's error to show."""
    if course.max_infusions is not None:
        return course.planned_infusions
    return max(1, min(course.planned_infusions, protocol.max_infusions))


def course_input(
    course: Course,
    *,
    period_starts: list[dt.date] | None = None,
    today: dt.date | None = None,
    appointments: list[Appointment] | None = None,
) -> timeline.CourseInput:
    """The engine's input. Visits still to come are planned from today on, never in the past;
    days the clinic chose for them are kept while they fit the rules (the engine decides)."""
    patient = course.patient
    clinic = course.clinic
    today = today or timezone.localdate(timezone=clinic.zone)
    if period_starts is None:
        period_starts = list(applied_period_starts(patient))
    protocol = clinic_protocol(clinic, course)
    dropped = frozenset(course.dropped_steps or ())
    return timeline.CourseInput(
        source=timeline.Source(course.source),
        route=timeline.Route(course.route),
        planned_infusions=_planned_infusions(course, protocol),
        not_before=max(course.not_before, today),
        period_starts=tuple(period_starts),
        stated_cycle_length=patient.stated_cycle_length,
        luteal_length=patient.luteal_length,
        open_weekdays=clinic.open_weekday_numbers,
        closed_dates=clinic_closed_dates(clinic),
        protocol=protocol,
        facts=course_facts(course, appointments) if course.pk else timeline.Facts(),
        chosen_days=course_chosen_days(course, appointments, today=today) if course.pk else (),
        dropped_steps=dropped,
    )
