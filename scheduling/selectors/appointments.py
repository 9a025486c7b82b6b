"""Reads of appointments, always scoped to one clinic."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from scheduling.models import Appointment, AppointmentStatus, Clinic


def local_day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """A calendar day in a zone as aware datetimes (23 or 25 hours long on DST days)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def appointments_on_day(*, clinic: Clinic, day: dt.date) -> QuerySet[Appointment]:
    start, end = local_day_bounds(day, clinic.zone)
    return (
        Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "room", "clinician")
        .order_by("room__name", "starts_at")
    )
