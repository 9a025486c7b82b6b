"""Reads about patient emails, reminders and patients' requests, for coordinators."""

from django.db.models import QuerySet

from scheduling.models import (
    Clinic,
    EmailMessage,
    Patient,
    Reminder,
    ReminderStatus,
    RescheduleRequest,
)


def emails_for_patient(patient: Patient) -> QuerySet[EmailMessage]:
    """Every email sent, or tried, to the patient, newest first, with its status."""
    return EmailMessage.objects.filter(patient=patient).order_by("-created_at")


def reminders_for_patient(patient: Patient) -> QuerySet[Reminder]:
    return (
        Reminder.objects.filter(patient=patient).select_related("appointment").order_by("-due_at")
    )


def _needs_attention(clinic: Clinic, status: str) -> QuerySet[Reminder]:
    return (
        Reminder.objects.filter(clinic=clinic, status=status)
        .select_related("patient", "appointment")
        .order_by("due_at")
    )


def failed_reminders(clinic: Clinic) -> QuerySet[Reminder]:
    """Reminders the mail server rejected for good: the patient was not told."""
    return _needs_attention(clinic, ReminderStatus.FAILED)


def missed_reminders(clinic: Clinic) -> QuerySet[Reminder]:
    """Reminders that could not go out in time: someone should call the patient."""
    return _needs_attention(clinic, ReminderStatus.MISSED)


def open_reschedule_requests(clinic: Clinic) -> QuerySet[RescheduleRequest]:
    return (
        RescheduleRequest.objects.filter(clinic=clinic, resolved_at__isnull=True)
        .select_related("patient", "appointment")
        .order_by("created_at")
    )
