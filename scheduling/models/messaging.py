"""The reminder outbox and the log of every email sent (DESIGN.md §4)."""

from django.db import models

from scheduling.models.appointments import Appointment
from scheduling.models.clinics import Clinic
from scheduling.models.patients import Patient


class ReminderKind(models.TextChoices):
    PROCEDURE_3_DAYS = "procedure-3d", "Procedure in 3 days"
    PROCEDURE_1_DAY = "procedure-1d", "Procedure tomorrow"
    ULTRASOUND_1_DAY = "ultrasound-1d", "Ultrasound tomorrow"
    FOLLOW_UP_7_DAYS = "follow-up-7d", "Follow-up in 7 days"
    FOLLOW_UP_1_DAY = "follow-up-1d", "Follow-up tomorrow"
    TRANSFER_WINDOW_OPENS = "transfer-window", "Embryo-transfer window opens"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"


class Reminder(models.Model):
    """One email to send at `due_at`. The outbox: a row, never a Celery ETA task."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    appointment_version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "appointment_version", "kind"],
                name="reminder_once_per_appointment_version_kind",
            ),
        ]
        indexes = [
            # Read by the dispatcher: pending rows in due order.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="reminder_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M} UTC"


class EmailStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailMessage(models.Model):
    """A record of every email the clinic sent, or tried to send, to a patient."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="emails")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="emails", null=True, blank=True
    )
    reminder = models.ForeignKey(
        Reminder, on_delete=models.SET_NULL, related_name="emails", null=True, blank=True
    )
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=EmailStatus.choices)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
