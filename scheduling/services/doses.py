"""A donor-lot dose's moves that other services make inside their own transaction: used at
the infusion (``services.recording``), returned when the course closes (``services.outcomes``)
or its lot fails QC (``services.lots``). The caller holds the clinic and course locks; the lot
and the allocation rows are locked here, after them.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduling.models import AllocationStatus, Course, DonorLot, DoseAllocation, LotStatus
from scheduling.timeline.dates import spoken


def locked_lot(lot_id: int) -> DonorLot:
    return DonorLot.objects.select_for_update().get(pk=lot_id)


def return_allocations(allocations, reason: str) -> int:
    """Return reserved doses to their lots (rows locked in primary-key order)."""
    count = 0
    for allocation in allocations.select_for_update().order_by("pk"):
        lot = locked_lot(allocation.lot_id)
        lot.doses_reserved -= 1
        lot.save(update_fields=["doses_reserved", "updated_at"])
        allocation.status = AllocationStatus.RETURNED
        allocation.returned_at = timezone.now()
        allocation.return_reason = reason[:200]
        allocation.save(update_fields=["status", "returned_at", "return_reason"])
        count += 1
    return count


def dose_use(*, course: Course, day: dt.date) -> DoseAllocation:
    """The UC course's infusion was done on ``day``: its reserved dose is used. Called inside
    the infusion-done transaction, with the course locked (one dose per infusion)."""
    allocation = (
        course.dose_allocations.select_for_update()
        .filter(status=AllocationStatus.RESERVED)
        .order_by("pk")
        .first()
    )
    if allocation is None:
        raise ValidationError(
            "No donor-lot dose is reserved for this course: allocate a dose of a released lot "
            "first."
        )
    lot = locked_lot(allocation.lot_id)
    if lot.status != LotStatus.RELEASED:
        raise ValidationError(f"Lot {lot.lot_number} is {lot.get_status_display().lower()}.")
    if lot.qc_released_on and day < lot.qc_released_on:
        raise ValidationError(f"Lot {lot.lot_number} was released on {spoken(lot.qc_released_on)}.")
    if day > lot.expires_on:
        raise ValidationError(f"Lot {lot.lot_number} expired on {spoken(lot.expires_on)}.")
    lot.doses_reserved -= 1
    lot.doses_used += 1
    lot.save(update_fields=["doses_reserved", "doses_used", "updated_at"])
    allocation.status = AllocationStatus.USED
    allocation.used_on = day
    allocation.save(update_fields=["status", "used_on"])
    return allocation


def doses_return(*, course: Course, reason: str) -> int:
    """The course no longer needs its reserved dose (closed, cancelled, withdrawn): it goes
    back to its lot. Called inside the closing transaction, with the course locked."""
    return return_allocations(
        course.dose_allocations.filter(status=AllocationStatus.RESERVED), reason
    )
