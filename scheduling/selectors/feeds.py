"""Reads for calendar subscriptions: a feed's appointments in one query."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from scheduling.models import Appointment, AppointmentKind, AppointmentStatus, CalendarFeed

PAST = dt.timedelta(days=31)
FUTURE = dt.timedelta(days=366)
KIND_LABELS = dict(AppointmentKind.choices)


def active_feed(token: str) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.select_related("clinic", "room", "clinician")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )


def feed_appointments(feed: CalendarFeed, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """A month back to a year ahead; cancelled ones too, so subscribers drop them."""
    now = now or timezone.now()
    rows = Appointment.objects.filter(
        clinic=feed.clinic, starts_at__gte=now - PAST, starts_at__lt=now + FUTURE
    ).exclude(status=AppointmentStatus.TENTATIVE)
    rows = rows.filter(room=feed.room) if feed.room_id else rows.filter(clinician=feed.clinician)
    return rows.select_related("clinic", "patient", "room", "clinician").order_by("starts_at")


def staff_description(appointment: Appointment) -> tuple[str, str]:
    """What staff see: the kind of visit and who, never a diagnosis or a result."""
    patient = appointment.patient
    who = f"{patient.first_name[:1]}. {patient.last_name} ({patient.mrn})"
    summary = f"{KIND_LABELS.get(appointment.kind, appointment.kind)}: {who}"
    details = [
        f"Room: {appointment.room.name}" if appointment.room else "Room: not yet assigned",
        f"Clinician: {appointment.clinician}" if appointment.clinician else "",
        f"Status: {appointment.get_status_display()}",
    ]
    return summary, "\n".join(line for line in details if line)
