"""The calendar feed's cycle column: each visit's cycle day and phase, in constant queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling import timeline
from scheduling.models import AppointmentStatus, CourseStatus
from scheduling.selectors.calendar import COLUMNS, describe_cycle_day
from tests import factories

pytestmark = pytest.mark.django_db


def _range(day: dt.date) -> dict:
    return {"start": f"{day - dt.timedelta(days=3)}", "end": f"{day + dt.timedelta(days=4)}"}


def _feed(client, day: dt.date) -> dict[int, dict]:
    content = client.get(reverse("calendar-events"), _range(day)).json()
    assert content["columns"] == list(COLUMNS)
    events = [dict(zip(content["columns"], row, strict=True)) for row in content["rows"]]
    return {event["id"]: event for event in events}


def _visit(clinic, patient, day: dt.date, hour: int = 9, **fields):
    starts_at = dt.datetime.combine(day, dt.time(hour), tzinfo=clinic.zone)
    return factories.AppointmentFactory(
        patient=patient, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=30), **fields
    )


def _patient(clinic, *cd1s: dt.date, **fields):
    patient = factories.PatientFactory(clinic=clinic, **fields)
    for day in cd1s:
        patient.period_starts.create(date=day, reported_by="staff")
    return patient


def test_describe_cycle_day_says_day_spread_and_phase():
    cycle = timeline.estimate_cycle([dt.date(2026, 11, 2), dt.date(2026, 11, 30)])
    assert describe_cycle_day(timeline.describe_day(cycle, dt.date(2026, 12, 9))) == (
        "CD10 · proliferative"
    )
    # Two cycles ahead: predicted, so the day may move.
    assert describe_cycle_day(timeline.describe_day(cycle, dt.date(2027, 1, 27))) == (
        "CD3 ±3 d · menstrual"
    )


def test_feed_gives_each_visit_its_cycle_day_and_phase(staff_client, coordinator, clinic):
    client = staff_client(coordinator)
    today = timezone.localdate(timezone=clinic.zone)
    cd1 = today - dt.timedelta(days=9)
    regular = _patient(clinic, cd1 - dt.timedelta(days=28), cd1)  # 28 days, today is CD10
    stated = _patient(clinic, cd1, stated_cycle_length=30, luteal_length=12)  # one CD1 only
    held = _patient(clinic)  # her only CD1 waits for a person to check it
    held.period_starts.create(date=cd1, reported_by="patient", status="to-check")
    unknown = _patient(clinic)
    visits = {
        "regular": _visit(clinic, regular, today),
        "late": _visit(clinic, regular, today + dt.timedelta(days=2), hour=10),
        "stated": _visit(clinic, stated, today, hour=11, status=AppointmentStatus.TENTATIVE),
        "held": _visit(clinic, held, today, hour=12),
        "unknown": _visit(clinic, unknown, today, hour=13),
    }

    events = _feed(client, today)
    cycle = {name: events[visit.pk]["cycle"] for name, visit in visits.items()}
    assert cycle["regular"] == "CD10 · proliferative"
    assert cycle["late"] == "CD12 · late-proliferative"  # O = 28 - 14: CD11-14
    # A stated length is a guess: past the menstrual days it may be off by ±3 days.
    assert cycle["stated"] == "CD10 ±3 d · proliferative"
    assert cycle["held"] == "" and cycle["unknown"] == ""


def test_feed_shows_no_predicted_cycle_while_she_is_pregnant(staff_client, coordinator, clinic):
    client = staff_client(coordinator)
    today = timezone.localdate(timezone=clinic.zone)
    patient = _patient(clinic, today - dt.timedelta(days=60), today - dt.timedelta(days=32))
    factories.CourseFactory(patient=patient, status=CourseStatus.PREGNANT)
    visit = _visit(clinic, patient, today)
    assert _feed(client, today)[visit.pk]["cycle"] == ""
    earlier = _visit(clinic, patient, today - dt.timedelta(days=30))  # in her last known cycle
    assert _feed(client, today - dt.timedelta(days=30))[earlier.pk]["cycle"] == ("CD3 · menstrual")


def _queries(client, day: dt.date) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("calendar-events"), _range(day))
    assert response.status_code == 200
    return len(queries)


def test_cycle_column_costs_one_query_whatever_the_number_of_patients(
    staff_client, coordinator, clinic
):
    client = staff_client(coordinator)
    today = timezone.localdate(timezone=clinic.zone)

    def seed(count: int) -> None:
        for number in range(count):
            cd1 = today - dt.timedelta(days=number % 20)
            patient = _patient(clinic, cd1 - dt.timedelta(days=27 + number % 5), cd1)
            _visit(clinic, patient, today, hour=8 + number % 10)
            _visit(clinic, patient, today + dt.timedelta(days=1), hour=8 + number % 10)

    seed(3)
    small = _queries(client, today)
    seed(40)
    large = _queries(client, today)
    events = _feed(client, today)
    assert len(events) == 86 and all(event["cycle"].startswith("CD") for event in events.values())
    assert small == large
