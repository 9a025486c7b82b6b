"""Donor lots of umbilical-cord cells (UC-MSC) held by a clinic, and the doses given from them.

A UC course has no harvest and no expansion: it is given a dose from a released, unexpired lot.
A dose is reserved for a course (``DoseAllocation`` reserved), used at the infusion, or returned
to the lot when the course no longer needs it. The lot keeps the counts the lab reads
(``doses_reserved``, ``doses_used``); the database refuses more reserved and used than it holds.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from scheduling.models.clinics import Clinic
from scheduling.models.courses import Course


class LotStatus(models.TextChoices):
    QUARANTINE = "quarantine", "In quarantine (QC pending)"
    RELEASED = "released", "Released (QC passed)"
    FAILED = "failed", "Failed QC"


class DonorLot(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="donor_lots")
    lot_number = models.CharField(max_length=40)
    donor_screening_ref = models.CharField("donor screening reference", max_length=80)
    status = models.CharField(
        max_length=12, choices=LotStatus.choices, default=LotStatus.QUARANTINE
    )
    qc_released_on = models.DateField("QC released on", null=True, blank=True)
    qc_identity = models.BooleanField(default=False)
    qc_purity = models.BooleanField(default=False)
    qc_viability = models.BooleanField(default=False)
    qc_sterility = models.BooleanField(default=False)
    failure_reason = models.CharField(max_length=300, blank=True)
    doses = models.PositiveSmallIntegerField()
    doses_reserved = models.PositiveSmallIntegerField(default=0)
    doses_used = models.PositiveSmallIntegerField(default=0)
    expires_on = models.DateField()
    storage_location = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_on", "lot_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "lot_number"], name="donor_lot_number_unique_in_clinic"
            ),
            models.CheckConstraint(
                condition=Q(doses_reserved__lte=F("doses") - F("doses_used")),
                name="donor_lot_reserved_and_used_within_doses",
            ),
            models.CheckConstraint(
                condition=~Q(status="released")
                | Q(
                    qc_released_on__isnull=False,
                    qc_identity=True,
                    qc_purity=True,
                    qc_viability=True,
                    qc_sterility=True,
                ),
                name="donor_lot_released_passed_qc",
            ),
        ]

    def __str__(self) -> str:
        return f"Donor lot {self.lot_number}"

    @property
    def doses_available(self) -> int:
        return self.doses - self.doses_used - self.doses_reserved


class AllocationStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    USED = "used", "Used at the infusion"
    RETURNED = "returned", "Returned to the lot"


class DoseAllocation(models.Model):
    """One dose of a donor lot for one infusion of a UC course."""

    lot = models.ForeignKey(DonorLot, on_delete=models.PROTECT, related_name="allocations")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="dose_allocations")
    status = models.CharField(
        max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.RESERVED
    )
    reserved_at = models.DateTimeField(auto_now_add=True)
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_on = models.DateField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["reserved_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="used") | Q(used_on__isnull=False),
                name="dose_used_has_date",
            ),
        ]
        indexes = [
            # Read by planning: a course's reserved or used doses.
            models.Index(
                fields=["course"],
                condition=~Q(status="returned"),
                name="dose_allocation_live",
            ),
        ]

    def __str__(self) -> str:
        return f"Dose of {self.lot} for course {self.course_id} ({self.status})"
