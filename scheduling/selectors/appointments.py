"""Reads of appointments, always scoped to one clinic."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from scheduling import timeline
from scheduling.models import Appointment, AppointmentStatus, Clinic
from scheduling.selectors.courses import clinic_closed_dates, course_input
from scheduling.services import slots

NON_COURSE_BOOKING_DAYS = 21


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


def allowed_days(appointment: Appointment) -> list[dt.date]:
    """The days from today on that the engine allows for this visit (open days only)."""
    clinic = appointment.clinic
    today = timezone.localdate(timezone=clinic.zone)
    if not (appointment.course_id and appointment.step_key):
        closed = clinic_closed_dates(clinic)
        first = max(today, appointment.starts_at.astimezone(clinic.zone).date())
        days = (first + dt.timedelta(days=n) for n in range(NON_COURSE_BOOKING_DAYS))
        return [day for day in days if slots.is_open_day(clinic, day, closed)]
    course = course_input(appointment.course)
    try:
        step = timeline.plan(course).step(appointment.step_key)
    except (KeyError, timeline.PlanRefused, timeline.InvalidCourse):
        return []
    if step.done:
        return []
    first, last = step.window_start or step.date, step.window_end or step.date
    if first is None or last is None:
        return []
    candidates = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [
        day
        for day in candidates
        if day >= today and not timeline.check_step_date(course, appointment.step_key, day)
    ]
