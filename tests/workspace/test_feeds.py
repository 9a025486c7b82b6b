"""iCalendar subscriptions per room and clinician: valid, stable, revocable, no diagnosis."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from scheduling.models import AppointmentStatus
from scheduling.services.appointments import appointment_move
from scheduling.services.feeds import calendar_feed_create, calendar_feed_revoke
from tests import factories
from tests.workspace.conftest import book_at, day_with, infusion

pytestmark = pytest.mark.django_db


def read(token: str) -> tuple[int, Calendar | None, int]:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(reverse("calendar-feed", args=[token]))
    calendar = Calendar.from_ical(response.content) if response.status_code == 200 else None
    return response.status_code, calendar, len(queries)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_room_feed_is_valid_stable_and_follows_moves(planned_course, clinic, rooms, physician):
    appointment = infusion(planned_course)
    day = appointment.starts_at.astimezone(clinic.zone).date()
    booked = book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)
    feed = calendar_feed_create(clinic=clinic, room=rooms[0], clinician=None, created_by=None)

    status, calendar, _ = read(feed.token)
    assert status == 200
    assert calendar["version"] == "2.0" and calendar["prodid"]
    ((uid, event),) = events(calendar).items()
    assert int(event["sequence"]) == booked.version
    assert event["dtstart"].dt == booked.starts_at
    text = f"{event['summary']} {event['description']}".lower()
    assert "infusion" in text and planned_course.patient.mrn.lower() in text
    for forbidden in ("thin", "endometri", "asherman", "bone", "marrow", "stem"):
        assert forbidden not in text

    other_day = day_with(planned_course, allowed=True, near=day)
    version = booked.version
    appointment_move(
        appointment=booked,
        starts_at=dt.datetime.combine(other_day, dt.time(9), tzinfo=clinic.zone),
    )
    booked.refresh_from_db()
    _, calendar, _ = read(feed.token)
    event = events(calendar)[uid]
    assert int(event["sequence"]) == booked.version > version
    assert event["dtstart"].dt.date() == other_day


def test_revoked_or_unknown_feed_is_not_found(clinic, physician):
    feed = calendar_feed_create(clinic=clinic, room=None, clinician=physician, created_by=None)
    assert read(feed.token)[0] == 200
    calendar_feed_revoke(feed=feed)
    assert read(feed.token)[0] == 404
    assert read("not-a-token")[0] == 404


def test_feed_runs_a_constant_number_of_queries(clinic, rooms, physician):
    feed = calendar_feed_create(clinic=clinic, room=None, clinician=physician, created_by=None)
    start = dt.datetime.now(clinic.zone).replace(hour=8, minute=0, second=0, microsecond=0)

    seeded = iter(range(100))

    def seed(count: int) -> None:
        for _ in range(count):  # one after the other: never two visits in one room at once
            factories.AppointmentFactory(
                patient=factories.PatientFactory(clinic=clinic),
                clinician=physician,
                room=rooms[0],
                status=AppointmentStatus.BOOKED,
                starts_at=start + dt.timedelta(days=1, minutes=30 * next(seeded)),
            )

    seed(5)
    _, small, small_queries = read(feed.token)
    seed(45)
    _, large, large_queries = read(feed.token)
    assert (len(events(small)), len(events(large))) == (5, 50)
    assert small_queries == large_queries
