"""Allowed days for one visit: what the calendar shades while dragging and the Move… dialog
offers, from the one rule the appointment service refuses by."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scheduling.models import AppointmentStatus
from scheduling.selectors import allowed_days
from scheduling.services.appointments import AppointmentRefused, appointment_move
from tests import factories
from tests.factories import consent_for
from tests.security.fuzzing import (
    assert_rejects_cleanly,
    hostile_dates,
    hostile_datetimes,
    hostile_text,
)
from tests.workspace.conftest import book_at
from tests.workspace.conftest import infusion as planned_infusion

pytestmark = pytest.mark.django_db


def infusion(course):
    """The course's first infusion, its consent in force (it gates infusions)."""
    if not course.consents.exists():
        consent_for(course)
    return planned_infusion(course)


def _days(client, appointment, first: dt.date, days: int) -> dict[str, dict]:
    url = reverse("appointment-allowed-days", args=[appointment.pk])
    end = first + dt.timedelta(days=days)
    answer = client.get(url, {"start": f"{first}", "end": f"{end}"})
    assert answer.status_code == 200, answer.content
    return {day["date"]: day for day in answer.json()["days"]}


def test_each_day_says_whether_the_step_may_go_there_and_why_not(
    staff_client, coordinator, planned_course, clinic
):
    visit = infusion(planned_course)
    today = timezone.localdate(timezone=clinic.zone)
    closed = today + dt.timedelta(days=9)
    clinic.closed_dates.create(date=closed, reason="Staff training")
    days = _days(staff_client(coordinator), visit, today - dt.timedelta(days=2), 42)

    assert len(days) == 42
    past = days[f"{today - dt.timedelta(days=1)}"]
    assert not past["allowed"] and "passed" in past["why"]
    assert not days[f"{closed}"]["allowed"]
    assert "closed" in days[f"{closed}"]["why"]
    allowed = [day for day, verdict in days.items() if verdict["allowed"]]
    assert allowed, "the infusion's proliferative days are offered"
    refused = [verdict["why"] for verdict in days.values() if not verdict["allowed"]]
    assert any("proliferative phase" in why and "luteal" in why for why in refused)
    # The default range is the step's window from today on: what the Move… dialog lists.
    offered = allowed_days.allowed_days(visit)
    assert offered and all(f"{day}" in allowed for day in offered if f"{day}" in days)


def test_the_service_refuses_exactly_the_days_the_calendar_dims(
    staff_client, coordinator, planned_course, clinic, rooms, physician
):
    """One rule: every refused day's reason is the service's refusal, every allowed day moves."""
    visit = infusion(planned_course)
    today = timezone.localdate(timezone=clinic.zone)
    days = _days(staff_client(coordinator), visit, today + dt.timedelta(days=1), 35)
    checked = 0
    for day, verdict in days.items():
        starts_at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9), tzinfo=clinic.zone)
        if verdict["allowed"]:
            continue
        with pytest.raises(AppointmentRefused) as refusal:
            appointment_move(appointment=visit, starts_at=starts_at)
        assert verdict["why"] in str(refusal.value)
        checked += 1
    assert checked > 10
    first_allowed = next(day for day, verdict in days.items() if verdict["allowed"])
    moved_to = dt.datetime.combine(
        dt.date.fromisoformat(first_allowed), dt.time(9), tzinfo=clinic.zone
    )
    appointment_move(appointment=visit, starts_at=moved_to)
    visit.refresh_from_db()
    assert visit.starts_at == moved_to


def test_cells_not_ready_are_a_reason(staff_client, coordinator, planned_course, clinic):
    """A bone-marrow course's infusion waits for its cells (harvest + expansion)."""
    visit = infusion(planned_course)
    today = timezone.localdate(timezone=clinic.zone)
    days = _days(staff_client(coordinator), visit, today, 14)
    assert any("cells" in verdict["why"].lower() for verdict in days.values())


def test_constant_queries_whatever_the_range(staff_client, coordinator, planned_course, clinic):
    client = staff_client(coordinator)
    visit = infusion(planned_course)
    today = timezone.localdate(timezone=clinic.zone)
    _days(client, visit, today, 7)  # session and caches warm
    counts = []
    for length in (7, 42, 99):
        with CaptureQueriesContext(connection) as queries:
            _days(client, visit, today, length)
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_a_visit_outside_a_course_may_go_on_open_days(
    staff_client, coordinator, clinic, rooms, physician
):
    clinic.open_weekdays = "mon,tue,wed,thu,fri"
    clinic.save()
    today = timezone.localdate(timezone=clinic.zone)
    starts_at = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(10), tzinfo=clinic.zone)
    consult = factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic),
        room=rooms[0],
        clinician=physician,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )
    days = _days(staff_client(coordinator), consult, today + dt.timedelta(days=1), 14)
    for day, verdict in days.items():
        weekend = dt.date.fromisoformat(day).weekday() >= 5
        assert verdict["allowed"] is not weekend, (day, verdict)
        if weekend:
            assert verdict["why"] in (
                "The clinic is closed on Saturdays.",
                "The clinic is closed on Sundays.",
            )


def test_free_times_keep_a_booked_visits_room_and_clinician(
    staff_client, coordinator, planned_course, clinic, rooms, physician
):
    visit = infusion(planned_course)
    day = visit.starts_at.astimezone(clinic.zone).date()
    visit = book_at(visit, day=day, hour=9, room=rooms[0], clinician=physician)
    # Room 1 is busy from 11:00 to 12:00 with someone else.
    busy = dt.datetime.combine(day, dt.time(11), tzinfo=clinic.zone)
    factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic),
        room=rooms[0],
        status=AppointmentStatus.BOOKED,
        starts_at=busy,
        ends_at=busy + dt.timedelta(hours=1),
    )
    url = reverse("appointment-free-times", args=[visit.pk])
    answer = staff_client(coordinator).get(url, {"day": f"{day}"}).json()
    starts = [time["start"][11:] for time in answer["times"]]
    assert "09:00" in starts and "13:00" in starts
    assert not any("11:00" <= start < "12:00" for start in starts)
    assert all(time["rooms"] == [rooms[0].name] for time in answer["times"])
    assert all(time["clinicians"] == [str(physician)] for time in answer["times"])


def test_only_staff_who_book_of_the_same_clinic(
    staff_client, planned_course, clinic, coordinator_b, physician
):
    visit = infusion(planned_course)
    url = reverse("appointment-allowed-days", args=[visit.pk])
    assert staff_client(physician).get(url).status_code == 403
    assert staff_client(coordinator_b).get(url).status_code == 404
    times = reverse("appointment-free-times", args=[visit.pk])
    assert staff_client(coordinator_b).get(times, {"day": "2026-12-08"}).status_code == 404


def test_bad_ranges_are_a_clear_400(staff_client, coordinator, planned_course):
    client = staff_client(coordinator)
    url = reverse("appointment-allowed-days", args=[infusion(planned_course).pk])
    for params in ({"start": "x", "end": "y"}, {"start": "2026-12-10", "end": "2026-12-01"}):
        answer = client.get(url, params)
        assert answer.status_code == 400 and answer.json()["error"]
    answer = client.get(url, {"start": "2026-01-01", "end": "2027-01-01"})
    assert answer.status_code == 400


def test_no_consent_is_a_reason_on_every_day(staff_client, coordinator, planned_course, clinic):
    planned_course.consents.all().delete()  # the fixture's consent; this test needs none
    visit = planned_infusion(planned_course)  # no consent recorded
    today = timezone.localdate(timezone=clinic.zone)
    days = _days(staff_client(coordinator), visit, today + dt.timedelta(days=1), 40)
    assert not any(verdict["allowed"] for verdict in days.values())
    assert all("No consent is recorded" in verdict["why"] for verdict in days.values())
    consent_for(planned_course)
    days = _days(staff_client(coordinator), visit, today + dt.timedelta(days=1), 40)
    assert any(verdict["allowed"] for verdict in days.values())


fuzz = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fuzz
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "start": st.one_of(hostile_dates, hostile_datetimes, hostile_text),
            "end": st.one_of(hostile_dates, hostile_datetimes, hostile_text),
        },
    )
)
@example(params={"start": "0001-01-01", "end": "0001-01-01"})
@example(params={"start": "9999-12-31", "end": "9999-12-31"})
def test_allowed_days_answer_any_range_cleanly(staff_client, coordinator, planned_course, params):
    url = reverse("appointment-allowed-days", args=[infusion(planned_course).pk])
    assert_rejects_cleanly(staff_client(coordinator), "get", url, params)


@fuzz
@given(day=st.one_of(hostile_dates, hostile_datetimes, hostile_text))
@example(day="0001-01-01")
@example(day="9999-12-31")
def test_free_times_answer_any_day_cleanly(staff_client, coordinator, planned_course, day):
    url = reverse("appointment-free-times", args=[infusion(planned_course).pk])
    assert_rejects_cleanly(staff_client(coordinator), "get", url, {"day": day})
