"""Donor lots of umbilical-cord cells and the doses given from them (issue 12).

A lot is entered in quarantine, released by QC once all four checks passed (or failed with a
reason), and gives doses to UC courses: a dose is *reserved* for a course's next infusion (the
course re-plans: its infusion follows the thaw lead time), *used* when that infusion is recorded
as done, or *returned* to the lot when the course closes or the lot fails QC (the course
re-plans and waits for another lot, listed in needs-attention).

Locks: the clinic, then the course (``services.locks``), then the lot, then its allocations.
Every count change is a save of the locked row (audited); the database refuses more reserved
and used doses than the lot holds, and a released lot that did not pass the four checks.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import (
    CLOSED_COURSES,
    AllocationStatus,
    CellSource,
    Clinic,
    Course,
    DonorLot,
    DoseAllocation,
    LotStatus,
)
from scheduling.services import locks
from scheduling.services.doses import locked_lot, return_allocations
from scheduling.services.planning import course_replan
from scheduling.services.recording import Recorded, plausible_date
from scheduling.timeline.dates import spoken

QC_CHECKS = ("identity", "purity", "viability", "sterility")
LOT_TAKEN = "The clinic already has a donor lot with this number."
LOT_FIELDS = ("lot_number", "donor_screening_ref", "doses", "expires_on", "storage_location")


def _today(clinic: Clinic) -> dt.date:
    return timezone.localdate(timezone=clinic.zone)


def _save_lot(lot: DonorLot, fields: list[str] | None = None) -> DonorLot:
    """Save, turning the unique lot number into a form error (a race the form missed)."""
    try:
        with transaction.atomic():
            if fields is None:
                lot.save()
            else:
                lot.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise ValidationError({"lot_number": LOT_TAKEN}) from None
    return lot


def lot_create(
    *,
    clinic: Clinic,
    lot_number: str,
    donor_screening_ref: str,
    doses: int,
    expires_on: dt.date,
    storage_location: str,
) -> DonorLot:
    """A new lot, in quarantine until QC releases it."""
    lot_number = lot_number.strip()
    with transaction.atomic():
        locks.lock_clinic(clinic.pk)
        if DonorLot.objects.filter(clinic=clinic, lot_number=lot_number).exists():
            raise ValidationError({"lot_number": LOT_TAKEN})
        plausible_date(expires_on, clinic.zone, "expires_on", "The expiry")
        if expires_on <= _today(clinic):
            raise ValidationError({"expires_on": "This lot has expired already."})
        lot = DonorLot(
            clinic=clinic,
            lot_number=lot_number,
            donor_screening_ref=donor_screening_ref.strip(),
            doses=doses,
            expires_on=expires_on,
            storage_location=storage_location.strip(),
        )
        if doses < 1:
            raise ValidationError({"doses": "A lot holds at least one dose."})
        lot.full_clean(exclude=["clinic"], validate_unique=False, validate_constraints=False)
        return _save_lot(lot)


def lot_edit(*, lot: DonorLot, **values) -> DonorLot:
    """Change a lot's number, screening reference, doses, expiry or storage. Its doses never
    fall below those reserved and used; a new expiry re-plans the courses holding a dose (the
    lot's expiry caps their infusion)."""
    unknown = set(values) - set(LOT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lot fields: {sorted(unknown)}")
    with transaction.atomic():
        locks.lock_clinic(lot.clinic_id)
        lot = locked_lot(lot.pk)
        changed = [name for name, value in values.items() if getattr(lot, name) != value]
        if not changed:
            return lot
        number = values.get("lot_number", lot.lot_number).strip()
        taken = DonorLot.objects.filter(clinic_id=lot.clinic_id, lot_number=number)
        if taken.exclude(pk=lot.pk).exists():
            raise ValidationError({"lot_number": LOT_TAKEN})
        committed = lot.doses_reserved + lot.doses_used
        if values.get("doses", lot.doses) < max(committed, 1):
            raise ValidationError(
                {"doses": f"{committed} dose(s) are reserved or used; the lot holds at least that."}
            )
        if "expires_on" in changed:
            plausible_date(values["expires_on"], lot.clinic.zone, "expires_on", "The expiry")
        for name in changed:
            value = values[name]
            setattr(lot, name, value.strip() if isinstance(value, str) else value)
        lot.full_clean(exclude=["clinic"], validate_unique=False, validate_constraints=False)
        _save_lot(lot, changed)
        if "expires_on" in changed:
            for course in _reserving_courses(lot):
                course_replan(course=course)
        return lot


def lot_release(
    *,
    lot: DonorLot,
    released_on: dt.date,
    identity: bool,
    purity: bool,
    viability: bool,
    sterility: bool,
) -> DonorLot:
    """QC passed: the lot may give doses. Refused unless all four checks passed, and refused
    for a lot already released or failed (released once)."""
    passed = {"identity": identity, "purity": purity, "viability": viability}
    passed["sterility"] = sterility
    with transaction.atomic():
        locks.lock_clinic(lot.clinic_id)
        lot = locked_lot(lot.pk)
        if lot.status != LotStatus.QUARANTINE:
            raise ValidationError(
                f"Lot {lot.lot_number} is {lot.get_status_display().lower()} already; a lot is "
                "released once."
            )
        failed = [name for name in QC_CHECKS if not passed[name]]
        if failed:
            raise ValidationError(
                f"A lot is released only when every check passed; not: {', '.join(failed)}. "
                "Record it as failed instead."
            )
        zone = lot.clinic.zone
        plausible_date(released_on, zone, "released_on", "The release", future_allowed=False)
        if released_on >= lot.expires_on:
            raise ValidationError({"released_on": f"The lot expires on {spoken(lot.expires_on)}."})
        lot.qc_identity = lot.qc_purity = lot.qc_viability = lot.qc_sterility = True
        lot.qc_released_on = released_on
        lot.status = LotStatus.RELEASED
        fields = ["qc_identity", "qc_purity", "qc_viability", "qc_sterility", "qc_released_on"]
        return _save_lot(lot, [*fields, "status"])


def lot_fail(*, lot: DonorLot, reason: str) -> Recorded:
    """QC failed: the lot gives no more doses. Its reserved doses go back (the allocations are
    returned) and their courses re-plan: they wait for another lot (needs-attention)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say which check failed and why."})
    with transaction.atomic():
        locks.lock_clinic(lot.clinic_id)  # no reservation can start meanwhile
        courses = _reserving_courses(lot)
        locks.lock_courses(lot.clinic_id, [course.pk for course in courses])
        lot = locked_lot(lot.pk)
        if lot.status == LotStatus.FAILED:
            return Recorded(notes=[f"Lot {lot.lot_number} is already recorded as failed."])
        why = f"Lot {lot.lot_number} failed QC: {reason}"
        returned = return_allocations(lot.allocations.filter(status=AllocationStatus.RESERVED), why)
        lot = locked_lot(lot.pk)
        lot.status = LotStatus.FAILED
        lot.failure_reason = reason[:300]
        _save_lot(lot, ["status", "failure_reason"])
        recorded = Recorded(notes=[f"Lot {lot.lot_number} recorded as failed."])
        if returned:
            recorded.notes.append(
                f"{returned} reserved dose(s) returned; those courses wait for another lot."
            )
        for course in courses:
            result = course_replan(course=course)
            recorded.replans.append(result)
            if result.problem:
                recorded.problems.append(result.problem)
        return recorded


def _reserving_courses(lot: DonorLot) -> list[Course]:
    ids = lot.allocations.filter(status=AllocationStatus.RESERVED).values_list("course_id")
    return list(Course.objects.filter(pk__in=ids).order_by("pk"))


def dose_reserve(*, course: Course, lot: DonorLot, reserved_by=None) -> Recorded:
    """Reserve one dose of ``lot`` for the UC course's next infusion; the course re-plans
    (the infusion goes in the first window after the thaw lead time)."""
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        if course.source != CellSource.UMBILICAL_CORD:
            raise ValidationError("Only an umbilical-cord course is given a donor-lot dose.")
        if course.status in CLOSED_COURSES:
            raise ValidationError(f"This course is {course.get_status_display().lower()}.")
        held = course.dose_allocations.filter(status=AllocationStatus.RESERVED).first()
        if held is not None:
            return Recorded(
                notes=[
                    f"A dose of {held.lot} is already reserved for this course; nothing changed."
                ]
            )
        lot = locked_lot(lot.pk)
        today = _today(course.clinic)
        if lot.clinic_id != course.clinic_id or lot.status != LotStatus.RELEASED:
            raise ValidationError(f"Lot {lot.lot_number} is not released; choose another lot.")
        if lot.expires_on <= today:
            raise ValidationError(f"Lot {lot.lot_number} has expired; choose another lot.")
        if lot.doses_available < 1:
            raise ValidationError(
                f"Lot {lot.lot_number} has no dose left (another course took the last one); "
                "choose another lot."
            )
        lot.doses_reserved += 1
        lot.save(update_fields=["doses_reserved", "updated_at"])
        DoseAllocation.objects.create(lot=lot, course=course, reserved_by=reserved_by)
        result = course_replan(course=course)
        if result.problem:  # e.g. the lot expires before her first suitable window
            raise ValidationError(
                f"Lot {lot.lot_number} cannot serve this course: {result.problem}"
            )
        return Recorded(replans=[result], notes=[f"A dose of lot {lot.lot_number} reserved."])
