"""The appointment calendar as icalendar makes it, with its repeated lines made once."""

import datetime as dt

import pytest
import time_machine
from icalendar import Calendar

from scheduling import ics
from scheduling.models import Appointment
from tests.reminders.helpers import due_reminders

pytestmark = pytest.mark.django_db


def plain_icalendar(appointments, name=None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Endoplan//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for appointment in appointments:
        calendar.add_component(ics.appointment_event(appointment))
    return calendar.to_ical()


@time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=False)
def test_calendars_are_byte_for_byte_what_icalendar_makes():
    rows = due_reminders(4)
    appointments = list(
        Appointment.objects.filter(pk__in=[row.appointment_id for row in rows])
        .select_related("clinic")
        .order_by("pk")
    )
    appointments[1].status = "cancelled"
    # A description long enough to be folded, with escapes and non-ASCII text.
    appointments[2].clinic.phone = "+44 20 7946 0000; ask for Zoë, the coordinator, at any time"
    for _ in range(2):  # the second time from the lines kept
        for appointment in appointments:
            assert ics.calendar_bytes([appointment]) == plain_icalendar([appointment])
        assert ics.calendar_bytes(appointments, "Feed") == plain_icalendar(appointments, "Feed")
    folded = ics.calendar_bytes([appointments[2]])
    assert b"\r\n " in folded and "Zoë".encode() in folded.replace(b"\r\n ", b"")
