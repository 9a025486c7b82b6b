"""Appointments: every visit of a course, tentative until a coordinator books it."""

from django.conf import settings
from django.db import models

from scheduling.models.clinics import Clinic, Room
from scheduling.models.courses import Course
from scheduling.models.patients import Patient


class AppointmentKind(models.TextChoices):
    CONSULT = "consult", "Consultation"
    HARVEST = "harvest", "Cell harvest"
    INFUSION = "infusion", "Infusion"
    ULTRASOUND = "ultrasound", "Ultrasound"
    EMBRYO_TRANSFER = "embryo-transfer", "Embryo transfer"
    FOLLOW_UP = "follow-up", "Follow-up"


class AppointmentStatus(models.TextChoices):
    TENTATIVE = "tentative", "Tentative"
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no-show", "No-show"


# Statuses that hold a room, a clinician and the patient's time.
ACTIVE_STATUSES = (
    AppointmentStatus.TENTATIVE,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
)


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="appointments", null=True, blank=True
    )
    # The timeline step this visit carries out, e.g. "infusion-1"; empty for a consult.
    step_key = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.TENTATIVE
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # For a tentative step: how many days either side the date may still move.
    uncertainty_days = models.PositiveSmallIntegerField(default=0)
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    # Raised on every move: the iCalendar SEQUENCE and part of each reminder's identity.
    version = models.PositiveIntegerField(default=1)
    # A coordinator chose this day: re-planning keeps it for as long as it fits the rules.
    pinned = models.BooleanField(default=False)
    # Set by a re-plan when a booked visit no longer fits the rules; only a person clears it
    # (by moving the visit, or confirming it where it stands). Its reminders wait meanwhile.
    rebooking_reason = models.CharField(max_length=1000, blank=True)
    # The reason a person saw and accepted by confirming the visit where it stands.
    kept_despite = models.CharField(max_length=1000, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["course", "step_key"],
                condition=~models.Q(step_key="")
                & models.Q(status__in=["tentative", "booked", "confirmed", "done"]),
                name="appointment_one_live_per_step",
            ),
        ]
        indexes = [
            # Read by the calendar feed and the today page: a clinic's visible range.
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_start"),
            models.Index(fields=["room", "starts_at"], name="appointment_room_start"),
            models.Index(fields=["clinician", "starts_at"], name="appointment_clinician_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def needs_rebooking(self) -> bool:
        return bool(self.rebooking_reason)


# How long each kind of visit holds a room and a clinician.
VISIT_MINUTES = {
    AppointmentKind.CONSULT: 30,
    AppointmentKind.HARVEST: 60,
    AppointmentKind.INFUSION: 45,
    AppointmentKind.ULTRASOUND: 20,
    AppointmentKind.EMBRYO_TRANSFER: 30,
    AppointmentKind.FOLLOW_UP: 30,
}
