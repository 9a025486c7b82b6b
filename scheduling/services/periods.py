"""A patient's period starts (cycle day 1): reported, checked, corrected, deleted.

A CD1 within the protocol's minimum gap of another one is never silently applied: a person who
enters it is refused with a sentence naming both dates; one reported through a patient's link
is kept "to check" (needs-attention) and the patient gets a kind answer. Staff correct or
delete a CD1 (each change audited), and every open course of hers re-plans in the same
transaction.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    Patient,
    PeriodStart,
    PeriodStartStatus,
    ReportedBy,
)
from scheduling.selectors.courses import applied_period_starts, clinic_protocol
from scheduling.services import locks
from scheduling.services.planning import CLOSED_COURSES
from scheduling.services.recording import Recorded, replan_after_fact
from scheduling.timeline.dates import DateOutOfRange, check_plausible, spoken


def _check_date(patient: Patient, day: dt.date) -> None:
    today = timezone.localdate(timezone=ZoneInfo(patient.time_zone))
    try:
        check_plausible(day, today, "A period start", future_allowed=False)
    except DateOutOfRange as error:
        raise ValidationError({"date": str(error)}) from None


def _conflict(patient: Patient, day: dt.date, *, ignore: int | None = None) -> str | None:
    existing = applied_period_starts(patient)
    if ignore is not None:
        existing = existing.exclude(pk=ignore)
    gap = clinic_protocol(patient.clinic).min_period_gap_days
    return timeline.period_start_conflict(list(existing), day, gap)


def _open_courses(patient: Patient) -> list:
    return list(patient.courses.exclude(status__in=CLOSED_COURSES).order_by("pk"))


def _lock(patient: Patient) -> list:
    """Her clinic and open courses, in the one lock order; the courses."""
    courses = _open_courses(patient)
    locks.lock_courses(patient.clinic_id, [course.pk for course in courses])
    return courses


def _locked(period_start: PeriodStart) -> PeriodStart:
    _lock(period_start.patient)
    return PeriodStart.objects.select_for_update().get(pk=period_start.pk)


def _replan(patient: Patient, *, notify: bool = True) -> Recorded:
    return replan_after_fact(_open_courses(patient), notify=notify)


def period_start_report(
    *,
    patient: Patient,
    date: dt.date,
    reported_by: str = ReportedBy.STAFF,
    actor=None,
    notify: bool = True,
) -> Recorded:
    """Her period started on `date`: save it and re-plan her open courses.

    ``Recorded.notes`` says when the date was already known, or held for a person to check.
    """
    _check_date(patient, date)
    with transaction.atomic():
        _lock(patient)
        known = patient.period_starts.filter(date=date).first()
        if known is not None:
            return Recorded(notes=[f"Cycle day 1 on {date:%a %-d %b %Y} was already recorded."])
        conflict = _conflict(patient, date)
        if conflict and reported_by == ReportedBy.STAFF:
            raise ValidationError({"date": conflict})
        PeriodStart.objects.create(
            patient=patient,
            date=date,
            reported_by=reported_by,
            reported_by_user=actor,
            status=PeriodStartStatus.TO_CHECK if conflict else PeriodStartStatus.APPLIED,
        )
        if conflict:
            return Recorded(notes=[conflict], held=True)
        return _replan(patient, notify=notify)


def period_start_correct(*, period_start: PeriodStart, date: dt.date) -> Recorded:
    """A person corrects a CD1's date (or applies one held "to check" on a corrected date)."""
    patient = period_start.patient
    _check_date(patient, date)
    with transaction.atomic():
        period_start = _locked(period_start)
        if patient.period_starts.filter(date=date).exclude(pk=period_start.pk).exists():
            raise ValidationError({"date": f"Cycle day 1 on {spoken(date)} is already recorded."})
        conflict = _conflict(patient, date, ignore=period_start.pk)
        if conflict:
            raise ValidationError({"date": conflict})
        period_start.date = date
        period_start.status = PeriodStartStatus.APPLIED
        period_start.save(update_fields=["date", "status"])
        return _replan(patient)


def period_start_apply(*, period_start: PeriodStart) -> Recorded:
    """Apply a CD1 held "to check": it replaces the CD1s too close to it (a corrected report)."""
    patient = period_start.patient
    with transaction.atomic():
        period_start = _locked(period_start)
        if period_start.status == PeriodStartStatus.APPLIED:
            return Recorded(notes=[f"Cycle day 1 on {spoken(period_start.date)} already counts."])
        gap = dt.timedelta(days=clinic_protocol(patient.clinic).min_period_gap_days - 1)
        for other in patient.period_starts.filter(
            status=PeriodStartStatus.APPLIED,
            date__gte=period_start.date - gap,
            date__lte=period_start.date + gap,
        ).exclude(pk=period_start.pk):
            other.delete()
        period_start.status = PeriodStartStatus.APPLIED
        period_start.save(update_fields=["status"])
        return _replan(patient)


def period_start_delete(*, period_start: PeriodStart) -> Recorded:
    """Delete a CD1 entered by mistake (audited); her courses re-plan without it."""
    patient = period_start.patient
    with transaction.atomic():
        period_start = _locked(period_start)
        applied = period_start.status == PeriodStartStatus.APPLIED
        if applied and not applied_period_starts(patient).exclude(pk=period_start.pk).exists():
            raise ValidationError(
                "This is her only period start and her plan counts from it: correct its date "
                "instead."
            )
        period_start.delete()
        if not applied:
            return Recorded()
        return _replan(patient)
