"""Treatment courses, cell batches and the results recorded along the way."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from scheduling.models.clinics import Clinic
from scheduling.models.patients import Patient


class CellSource(models.TextChoices):
    BONE_MARROW = "bone-marrow", "Bone marrow (BM-MSC)"
    ADIPOSE = "adipose", "Adipose tissue (AD-MSC)"
    MENSTRUAL_BLOOD = "menstrual-blood", "Menstrual blood (MenSC)"
    UMBILICAL_CORD = "umbilical-cord", "Umbilical cord donor lot (UC-MSC)"


class Route(models.TextChoices):
    INTRAUTERINE = "intrauterine", "Intrauterine (through the cervix)"
    INTRAUTERINE_ARTERY = "intrauterine-artery", "Intrauterine artery"


class CourseStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Active"
    RESPONDED = "responded", "Responded"
    NON_RESPONDER = "non-responder", "Non-responder"
    TRANSFERRED = "transferred", "Transferred"
    PREGNANT = "pregnant", "Pregnant"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled by the clinic"
    WITHDRAWN = "withdrawn", "Withdrawn by the patient"
    LOST_TO_FOLLOW_UP = "lost-to-follow-up", "Lost to follow-up"


# A course in one of these is over: nothing is planned, nothing is listed as to do.
CLOSED_COURSES = (
    CourseStatus.CANCELLED,
    CourseStatus.WITHDRAWN,
    CourseStatus.LOST_TO_FOLLOW_UP,
    CourseStatus.COMPLETED,
)


class Course(models.Model):
    """One patient's course of therapy; every date in it is planned by scheduling.timeline."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    source = models.CharField(max_length=20, choices=CellSource.choices)
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.INTRAUTERINE)
    planned_infusions = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    not_before = models.DateField(help_text="Earliest day for the first visit of the course.")
    status = models.CharField(
        max_length=20, choices=CourseStatus.choices, default=CourseStatus.PLANNING
    )

    # Protocol overrides: empty means "the clinic's parameter".
    preferred_infusion_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(6), MaxValueValidator(16)]
    )
    thickness_threshold_mm = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("3.0")), MaxValueValidator(Decimal("12.0"))],
    )
    max_infusions = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    transfer_wait_cycles = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )

    # Steps a person dropped when cancelling their visit ("follow-up-3", "transfer-window").
    dropped_steps = models.JSONField(default=list, blank=True)
    # Set in the transaction that changes what the plan depends on and cleared by the re-plan
    # that follows: a course left marked (a crash, a settings change) is finished by a sweeper.
    replan_requested_at = models.DateTimeField(null=True, blank=True)
    # Why the course cannot be planned right now (shown in needs-attention); empty when it can.
    plan_problem = models.TextField(blank=True)
    # The plan's next infusion waits for a donor-lot dose to be reserved (needs-attention and
    # the lots page list these courses). Written by the re-plan, like plan_problem.
    waits_for_dose = models.BooleanField(default=False)
    # The thickness result that decided the course after its last done infusion, as the
    # engine's plan read it (written by the re-plan; the outcomes report reads it). Empty
    # until there is one. Audited: it is the course's clinical decision, like its status.
    response_on = models.DateField("decided response measured on", null=True, blank=True)
    response_mm = models.DecimalField(
        "decided response mm", max_digits=3, decimal_places=1, null=True, blank=True
    )
    # Why and when the course was closed (cancelled, withdrawn, lost, completed); see
    # services/outcomes.py. Empty while it is open.
    closed_on = models.DateField(null=True, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Read by the re-plan sweeper: courses whose re-plan has not run yet.
            models.Index(
                fields=["replan_requested_at"],
                name="course_replan_due",
                condition=models.Q(replan_requested_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_infusions__gte=1, planned_infusions__lte=3),
                name="course_planned_infusions_1_to_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} course for {self.patient}"


class BatchStatus(models.TextChoices):
    EXPANDING = "expanding", "Expanding"
    RELEASED = "released", "Released (QC passed)"
    FAILED = "failed", "Failed QC"
    EXHAUSTED = "exhausted", "All doses used"


class CellBatch(models.Model):
    """Cells expanded in the lab for one course, or a donor lot allocated to it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="batches")
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="batches", null=True, blank=True
    )
    lot_number = models.CharField(max_length=40)
    source = models.CharField(max_length=20, choices=CellSource.choices)
    expansion_started_on = models.DateField()
    expected_ready_from = models.DateField()
    expected_ready_by = models.DateField()
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.EXPANDING
    )
    progress_note = models.CharField(max_length=200, blank=True)
    qc_released_on = models.DateField(null=True, blank=True)
    qc_identity = models.BooleanField(default=False)
    qc_purity = models.BooleanField(default=False)
    qc_viability = models.BooleanField(default=False)
    qc_sterility = models.BooleanField(default=False)
    doses = models.PositiveSmallIntegerField(default=0)
    doses_used = models.PositiveSmallIntegerField(default=0)
    expires_on = models.DateField(null=True, blank=True)
    # Set with status "failed": which QC check failed and why (shown to the coordinator).
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expected_ready_by"]
        verbose_name_plural = "cell batches"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "lot_number"], name="batch_lot_unique"),
            models.CheckConstraint(
                condition=models.Q(doses_used__lte=models.F("doses")),
                name="batch_doses_used_lte_doses",
            ),
            models.CheckConstraint(
                condition=models.Q(expected_ready_from__lte=models.F("expected_ready_by")),
                name="batch_ready_window_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="released") | models.Q(qc_released_on__isnull=False),
                name="batch_released_has_release_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Lot {self.lot_number}"

    @property
    def doses_left(self) -> int:
        return self.doses - self.doses_used


class ThicknessMeasurement(models.Model):
    """Endometrial thickness from an ultrasound, recorded by a physician."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="measurements")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measurements",
    )
    measured_on = models.DateField()
    thickness_mm = models.DecimalField(max_digits=3, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measured_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(thickness_mm__gt=0, thickness_mm__lte=30),
                name="thickness_between_0_and_30_mm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thickness_mm} mm on {self.measured_on}"
