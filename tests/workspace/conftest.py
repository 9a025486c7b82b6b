"""A clinic open every day with rooms and a physician, and a planned course to work on."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from scheduling import timeline
from scheduling.selectors.courses import course_input
from scheduling.services.enrolment import course_save
from tests import factories

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def clinic(clinic_a):
    # Open every day, so a test's dates never fall on a weekend by chance.
    clinic_a.open_weekdays = "mon,tue,wed,thu,fri,sat,sun"
    clinic_a.save()
    return clinic_a


@pytest.fixture
def rooms(clinic):
    return [
        factories.RoomFactory(clinic=clinic, name="Procedure room 1"),
        factories.RoomFactory(clinic=clinic, name="Procedure room 2"),
    ]


@pytest.fixture
def physician(clinic):
    return factories.MembershipFactory(
        clinic=clinic,
        role="physician",
        user=factories.UserFactory(username="dr_pat", first_name="Pat", last_name="Doctor"),
    ).user


@pytest.fixture
def coordinator(clinic):
    return factories.MembershipFactory(
        clinic=clinic, role="coordinator", user=factories.UserFactory(username="carla")
    ).user


@pytest.fixture
def planned_course(clinic, rooms, physician):
    """A bone-marrow course whose patient's cycles are known (regular, 28 days)."""
    today = timezone.localdate(timezone=clinic.zone)
    patient = factories.PatientFactory(clinic=clinic, first_name="Alice", last_name="Archer")
    for weeks in (8, 4):
        patient.period_starts.create(date=today - dt.timedelta(weeks=weeks), reported_by="staff")
    course = factories.CourseFactory.build(patient=patient, clinic=clinic, not_before=today)
    course = course_save(course=course)
    factories.consent_for(course)  # consent gates booking its harvest and infusion
    return course


def infusion(course):
    return course.appointments.get(step_key="infusion-1", status__in=["tentative", "booked"])


def day_with(course, *, allowed: bool, phase: str | None = None, near: dt.date) -> dt.date:
    """The day nearest `near` (not `near` itself) in `phase` that the engine allows or not."""
    data = course_input(course)
    cycle = timeline.plan(data).cycle
    for distance in range(1, 30):
        for day in (near - dt.timedelta(days=distance), near + dt.timedelta(days=distance)):
            info = timeline.describe_day(cycle, day)
            reasons = timeline.check_step_date(data, "infusion-1", day)
            if (phase is None or info.phase == phase) and bool(reasons) != allowed:
                return day
    raise AssertionError("no such day")


def book_at(appointment, *, day, hour, room, clinician):
    from scheduling.services.appointments import appointment_book

    starts_at = dt.datetime.combine(day, dt.time(hour), tzinfo=appointment.clinic.zone)
    appointment_book(appointment=appointment, starts_at=starts_at, room=room, clinician=clinician)
    appointment.refresh_from_db()
    return appointment


def login(page, live_server, staff_client, user):
    """Sign the browser in with the session of the test client (second factor included)."""
    client = staff_client(user)
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


def assert_accessible(page):
    # No transition half-way through (Bootstrap honours reduced motion): colours are final.
    page.emulate_media(reduced_motion="reduce")
    # Evaluated through the DevTools protocol: the strict CSP refuses an added <script> tag.
    page.evaluate(AXE.read_text() + "\n;void 0")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes: "
        + "; ".join(
            f"{node['html'][:90]} {node['any'][0].get('message', '') if node['any'] else ''}"
            for node in violation["nodes"][:5]
        )
        + ")"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)
