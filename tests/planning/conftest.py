"""A released bone-marrow course in a Mon-Fri London clinic, with rooms and a physician."""

import datetime as dt

import pytest

from scheduling.models import AppointmentStatus, PeriodStart
from scheduling.services import recording
from scheduling.services.planning import course_replan
from tests import factories

LONDON = "Europe/London"


def local_day(appointment) -> dt.date:
    return appointment.starts_at.astimezone(appointment.clinic.zone).date()


def live(course, key):
    return course.appointments.exclude(
        status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    ).get(step_key=key)


def at(clinic, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clinic.zone)


@pytest.fixture
def released_course(clinic_a):
    return make_released_course(clinic_a)


def make_released_course(clinic, **patient_fields):
    """Periods on Mondays 5 Jan and 2 Feb 2026 (28 days); harvest 3 Feb, released 20 Feb.

    Planned from Tuesday 3 March: infusion 1 on Wed 11 March (cycle day 10), its ultrasound on
    Fri 10 April (cycle day 12 of the next cycle). Call it with the clock on 3 March 2026.
    """
    patient = factories.PatientFactory(clinic=clinic, time_zone=LONDON, **patient_fields)
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    course = factories.CourseFactory(patient=patient, not_before=dt.date(2026, 2, 2))
    batch = recording.harvest_record_done(course=course, on=dt.date(2026, 2, 3), notify=False)
    recording.batch_release(
        batch=batch,
        released_on=dt.date(2026, 2, 20),
        doses=3,
        expires_on=dt.date(2026, 8, 1),
        identity=True,
        purity=True,
        viability=True,
        sterility=True,
        notify=False,
    )
    course_replan(course=course, notify=False)
    return course


@pytest.fixture
def rooms(clinic_a):
    return [factories.RoomFactory(clinic=clinic_a, name=f"Room {n}") for n in (1, 2)]


@pytest.fixture
def doctor(clinic_a):
    return factories.MembershipFactory(
        clinic=clinic_a, role="physician", user=factories.UserFactory(username="dr_who")
    ).user
