"""What becomes of a claimed reminder that was not sent (services/outbox.py): left to another
copy of its send task, cancelled, returned to the queue, retried later, failed or missed.
Every change is conditional on the row still holding the claim's token."""

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from scheduling import audit
from scheduling.emails import describe_error
from scheduling.models import Appointment, AppointmentStatus, Reminder, ReminderKind, ReminderStatus
from scheduling.services import reminders as reminder_rows

logger = logging.getLogger("scheduling.services.outbox")  # one log for the whole outbox

MAX_BACKOFF = dt.timedelta(hours=1)
BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


def send_grace() -> dt.timedelta:
    """How long a begun send may take to be recorded: its SMTP conversation and the write that
    marks it sent. The sweeper waits this long past a lease; a second copy of a send task leaves
    a row alone that long after the first copy began it."""
    return dt.timedelta(seconds=3 * settings.EMAIL_TIMEOUT)


def still_wanted(row: Reminder) -> bool:
    if row.kind == ReminderKind.CD1_REQUEST:
        return reminder_rows.waits_for_period(
            row.patient
        ) and not reminder_rows.period_reported_since(row.patient, row.expected_on)
    return True  # the appointment is re-checked by BEGIN, in the statement that starts the send


def cancel_if_mine(row: Reminder, token: str) -> None:
    audit.update_rows(
        _mine(row, token), status=ReminderStatus.CANCELLED, claim_token="", lease_expires_at=None
    )


def _mine(row: Reminder, token: str):
    return Reminder.objects.filter(pk=row.pk, status=ReminderStatus.CLAIMED, claim_token=token)


def not_begun(row: Reminder, token: str) -> None:
    """BEGIN changed nothing: say why, and cancel only for a changed appointment.

    No longer ours (cancelled by a move, returned by the sweeper, claimed by another
    dispatcher) or begun moments ago by another copy of this task: left alone. A new version or
    status: its newer rows carry the news, so this one is cancelled. The visit has begun:
    missed. Anything else (the time changed under the same version): back to the queue, to be
    looked at afresh.
    """
    if row.appointment_id is None:
        return
    mine = _mine(row, token)
    if mine.filter(send_started_at__gte=timezone.now() - send_grace()).exists():
        return  # begun by another copy
    appointment = (
        Appointment.objects.filter(pk=row.appointment_id)
        .values("version", "status", "starts_at")
        .first()
    )
    if appointment is None:
        return
    if appointment["version"] != row.appointment_version or appointment["status"] not in BOOKED:
        audit.update_rows(
            mine, status=ReminderStatus.CANCELLED, claim_token="", lease_expires_at=None
        )
    elif appointment["starts_at"] <= timezone.now():
        audit.update_rows(
            mine,
            status=ReminderStatus.MISSED,
            claim_token="",
            lease_expires_at=None,
            last_error="Not sent in time; the patient was not told.",
        )
    else:
        audit.update_rows(
            mine, status=ReminderStatus.PENDING, claim_token="", lease_expires_at=None
        )


def retry(row: Reminder, token: str, error: Exception) -> None:
    attempts = row.attempts + 1
    backoff = dt.timedelta(seconds=settings.REMINDER_RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1))
    audit.update_rows(
        Reminder.objects.filter(pk=row.pk, claim_token=token),
        status=ReminderStatus.PENDING,
        due_at=timezone.now() + min(backoff, MAX_BACKOFF),
        last_error=describe_error(error),
        claim_token="",
        lease_expires_at=None,
        send_started_at=None,
    )
    logger.warning("reminder %s: temporary failure (%s), retrying", row.pk, type(error).__name__)


def fail(row: Reminder, token: str, error: Exception) -> None:
    audit.update_rows(
        Reminder.objects.filter(pk=row.pk, claim_token=token),
        status=ReminderStatus.FAILED,
        last_error=describe_error(error),
        claim_token="",
        lease_expires_at=None,
    )
