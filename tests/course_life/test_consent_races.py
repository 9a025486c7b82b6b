"""Consent writes that race, threads on a barrier, each with its own database connection (real
on PostgreSQL; SQLite serialises writers and must give the same outcome).

* A withdrawal of consent and a booking of the infusion at the same moment: whichever goes
  first, the course ends withdrawn with no booked visit to come (the booking either waits and
  is refused, or goes first and is cancelled by the withdrawal).
* The same signed form submitted twice at once is recorded once.
"""

import datetime as dt

import pytest
import time_machine

from scheduling.models import AppointmentStatus, CourseStatus, Reminder, ReminderKind
from scheduling.services import appointments, consent
from tests.planning.conftest import at, live, make_released_course
from tests.planning.test_races import race, unexpected

pytestmark = [pytest.mark.django_db(transaction=True)]

TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
ROUNDS = 3


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def doctor(clinic_a):
    from tests import factories

    return factories.MembershipFactory(
        clinic=clinic_a, role="physician", user=factories.UserFactory(username="dr_race")
    ).user


@pytest.fixture
def room(clinic_a):
    from tests import factories

    return factories.RoomFactory(clinic=clinic_a, name="Race room")


def test_a_withdrawal_and_a_booking_at_once_never_leave_a_booking_on_a_withdrawn_course(
    clinic_a, doctor, room
):
    outcomes = set()
    for round_ in range(ROUNDS):
        course = make_released_course(clinic_a)
        infusion = live(course, "infusion-1")
        starts_at = at(clinic_a, dt.date(2026, 3, 11), 9 + round_)
        results = race(
            lambda infusion=infusion, starts_at=starts_at: appointments.appointment_book(
                appointment=infusion, starts_at=starts_at, room=room, clinician=doctor
            ),
            lambda course=course: consent.consent_withdraw(
                course=course, on=dt.date(2026, 3, 3), reason="race"
            ),
        )
        assert not unexpected(results, appointments.AppointmentRefused), results
        course.refresh_from_db()
        assert course.status == CourseStatus.WITHDRAWN
        assert not course.consents.filter(withdrawn_on__isnull=True).exists()
        assert not course.appointments.filter(
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
        ).exists()
        notices = Reminder.objects.filter(patient=course.patient, kind=ReminderKind.PLAN_CHANGED)
        assert notices.count() == 1  # told once, whichever went first
        if isinstance(results[0], appointments.AppointmentRefused):
            assert "withdrew her consent" in str(results[0])
            outcomes.add("refused")
        else:
            outcomes.add("booked, then cancelled")
    assert outcomes  # which one won is up to the scheduler; both are correct


def test_the_same_form_submitted_twice_at_once_is_recorded_once(clinic_a):
    course = make_released_course(clinic_a)
    course.consents.all().delete()
    results = race(
        *[
            lambda: consent.consent_record(
                course=course,
                form_version="2026-03",
                signed_on=dt.date(2026, 3, 2),
                witnessed_by="Nurse Wu",
            )
            for _ in range(3)
        ]
    )
    assert not unexpected(results), results
    assert course.consents.count() == 1
    assert len({row.pk for row in results}) == 1
