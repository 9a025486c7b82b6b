"""iCalendar (.ics) for appointments: one event per appointment, for patients and staff feeds.

The UID is stable per appointment and SEQUENCE is its version, so a calendar that imported an
earlier copy updates the event instead of adding a second one. The default summary names only
the clinic: no diagnosis, therapy or result ever goes into a patient's calendar.
"""

from collections.abc import Callable, Iterable

from django.utils import timezone
from icalendar import Calendar, Event
from icalendar.parser import Contentline

from scheduling.models import Appointment, AppointmentStatus

Describe = Callable[[Appointment], tuple[str, str]]


def patient_description(appointment: Appointment) -> tuple[str, str]:
    clinic = appointment.clinic
    lines = [clinic.name]
    if clinic.phone:
        lines.append(f"To change this appointment, call {clinic.phone}.")
    return f"Appointment at {clinic.name}", "\n".join(lines)


def appointment_event(appointment: Appointment, describe: Describe = patient_description) -> Event:
    """One VEVENT; `describe` returns (summary, description), e.g. richer for staff feeds."""
    summary, description = describe(appointment)
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@endoplan")
    event.add("sequence", appointment.version)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", appointment.clinic.name)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_bytes(
    appointments: Iterable[Appointment],
    name: str | None = None,
    describe: Describe = patient_description,
) -> bytes:
    """A calendar of `appointments`; `name` titles a subscribed feed.

    A single appointment to import (an email attachment, a download) has no name: some
    calendar apps would otherwise make a new calendar called that for one event.
    """
    calendar = _Calendar()
    calendar.add("prodid", "-//Endoplan//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for appointment in appointments:
        calendar.add_component(appointment_event(appointment, describe))
    return calendar.to_ical()


# Reminders attach one calendar each, thousands in a burst, and most of its lines are the same
# from one email to the next: the calendar's own, the clinic's name and phone, the status.
# Those are made and folded by icalendar once per process, the others (times, UID, sequence)
# every time.
_REPEATED = frozenset(
    {"BEGIN", "END", "PRODID", "VERSION", "METHOD", "X-WR-CALNAME"}
    | {"SUMMARY", "DESCRIPTION", "LOCATION", "STATUS"}
)
_REPEATED_KEPT = 512


class _FoldedLine(Contentline):
    """A content line whose folded bytes icalendar made once."""

    folded: bytes

    def to_ical(self) -> bytes:
        return self.folded


class _Calendar(Calendar):
    _lines: dict[tuple, _FoldedLine] = {}

    def content_line(self, name, value, sorted=True):
        if name not in _REPEATED or getattr(value, "params", None):
            return super().content_line(name, value, sorted=sorted)
        key = (name, type(value), value if isinstance(value, bytes) else str(value))
        line = self._lines.get(key)
        if line is None:
            made = super().content_line(name, value, sorted=sorted)
            line = _FoldedLine(made)
            line.folded = made.to_ical()
            if len(self._lines) >= _REPEATED_KEPT:
                self._lines.clear()
            self._lines[key] = line
        return line
