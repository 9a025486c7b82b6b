"""The reminder outbox, the log of every email sent, and what patients ask through links.

DESIGN.md §4: a reminder is a row, never a Celery ETA task.
"""

from django.conf import settings
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
    CD1_REQUEST = "cd1-request", "Please report your period"
    PLAN_CHANGED = "plan-changed", "Your dates changed"
    WELCOME = "welcome", "Welcome"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"


class Reminder(models.Model):
    """One email to send at `due_at`. The outbox: a row, never a Celery ETA task.

    An appointment reminder belongs to one version of its appointment; a move raises the
    version, cancels the old rows and writes new ones. A CD1 request belongs to the patient and
    the cycle start she is expected to report (`expected_on`), numbered by `sequence`. A
    "your dates changed" notice belongs to the patient and carries the moved dates as `payload`,
    numbered by `sequence` (1, 2, …); a welcome belongs to the patient alone (sequence 0).
    """

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="reminders", null=True, blank=True
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="reminders", null=True, blank=True
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reminders", null=True, blank=True
    )
    appointment_version = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    expected_on = models.DateField(null=True, blank=True)
    sequence = models.PositiveSmallIntegerField(default=0)
    # A "your dates changed" notice: [{"key": "infusion-1", "old": "2026-03-03", "new": …}].
    payload = models.JSONField(default=list, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Set by the dispatcher's claim; a send task acts only while the row holds its token.
    claim_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set just before the SMTP conversation: a row claimed again with this set may have gone out.
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "appointment_version", "kind"],
                condition=models.Q(appointment__isnull=False),
                name="reminder_once_per_appointment_version_kind",
            ),
            models.UniqueConstraint(
                fields=["patient", "kind", "expected_on", "sequence"],
                condition=models.Q(appointment__isnull=True),
                name="reminder_once_per_patient_cycle_sequence",
            ),
            # The same for the notices with no cycle (welcome, "your dates changed"): in the
            # constraint above their NULL `expected_on` makes every copy distinct.
            models.UniqueConstraint(
                fields=["patient", "kind", "sequence"],
                condition=models.Q(appointment__isnull=True, expected_on__isnull=True),
                name="reminder_once_per_patient_notice",
            ),
            models.CheckConstraint(
                condition=models.Q(appointment__isnull=False) | models.Q(patient__isnull=False),
                name="reminder_has_appointment_or_patient",
            ),
        ]
        indexes = [
            # Read by the dispatcher: pending rows in due order.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="reminder_pending_due",
            ),
            # Read by the sweeper (claimed rows whose lease ran out) and the heartbeat. There is
            # deliberately no index on claim_token: thousands of rows share one token, and
            # PostgreSQL, planning a send's `id = … AND claim_token = …` on the stale statistics
            # of a 09:00 burst, chose it over the primary key (2.5 ms a row instead of 0.1).
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="claimed"),
                name="reminder_claimed_lease",
            ),
            # Read by the coordinators' "needs attention" lists. Partial, so that sending a
            # reminder (claimed → sent) never has to update it.
            models.Index(
                fields=["clinic", "status", "due_at"],
                # OR, not IN: SQLite uses a partial index only when it can see that the
                # query's `status = 'failed'` implies the condition.
                condition=models.Q(status="failed") | models.Q(status="missed"),
                name="reminder_needs_attention",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M} UTC"

    @property
    def message_id(self) -> str:
        return f"<reminder-{self.pk}@endoplan.local>"


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


class RescheduleRequest(models.Model):
    """A patient asked, through a link, for another time for an appointment."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="reschedule_requests")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="reschedule_requests"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reschedule_requests"
    )
    appointment_version = models.PositiveIntegerField()
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What staff did about it, in their words ("moved to Thu 10 Dec", "called her, keeps it").
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # Read by "needs attention": a clinic's open requests.
            models.Index(
                fields=["clinic", "created_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="reschedule_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Reschedule request for appointment {self.appointment_id}"


class UsedLink(models.Model):
    """The nonce of a patient link that changed something: such a link works once."""

    nonce = models.CharField(max_length=32, unique=True)
    purpose = models.CharField(max_length=20)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.purpose} link used {self.used_at:%Y-%m-%d %H:%M} UTC"
