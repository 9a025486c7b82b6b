"""Donor-lot doses under races: threads on a `threading.Barrier`, each with its own connection.

Real on PostgreSQL: the dose paths lock the clinic, the course, then the lot and its allocation
rows (services/lots.py, services/doses.py). On SQLite the IMMEDIATE transaction serialises the
writers; the outcome asserted is the same.
"""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from scheduling.models import AllocationStatus, AppointmentStatus, DonorLot, PeriodStart
from scheduling.services import lots, recording
from scheduling.services.planning import course_replan
from tests import factories
from tests.planning.test_races import race, unexpected

pytestmark = [pytest.mark.django_db(transaction=True)]

D = dt.date
TODAY = dt.datetime(2026, 2, 25, 12, tzinfo=dt.UTC)
PASSED = {"identity": True, "purity": True, "viability": True, "sterility": True}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def uc_course(clinic):
    patient = factories.PatientFactory(clinic=clinic, time_zone="Europe/London")
    for day in (D(2026, 1, 5), D(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    course = factories.CourseFactory(
        patient=patient, source="umbilical-cord", not_before=D(2026, 2, 2)
    )
    course_replan(course=course, notify=False)
    return course


def released_lot(clinic, doses: int) -> DonorLot:
    lot = lots.lot_create(
        clinic=clinic, lot_number="UC-RACE", donor_screening_ref="DS", doses=doses,
        expires_on=D(2026, 9, 30), storage_location="Tank 1",
    )  # fmt: skip
    return lots.lot_release(lot=lot, released_on=D(2026, 2, 20), **PASSED)


def test_two_infusion_done_submits_on_a_uc_course_use_one_dose(clinic_a, frozen_today):
    course = uc_course(clinic_a)
    lot = released_lot(clinic_a, doses=3)
    lots.dose_reserve(course=course, lot=lot)
    infusion = course.appointments.get(step_key="infusion-1")
    frozen_today.move_to(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC))
    results = race(
        *(
            lambda: recording.appointment_mark_done(appointment=infusion, notify=False)
            for _ in range(2)
        )
    )
    assert not unexpected(results), results
    lot.refresh_from_db()
    assert (lot.doses_reserved, lot.doses_used) == (0, 1)
    (allocation,) = course.dose_allocations.all()
    assert allocation.status == AllocationStatus.USED
    notes = [note for result in results for note in result.notes]
    assert len(notes) == 1 and notes[0].startswith("Already recorded as done")
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.DONE


def test_two_reservations_for_the_last_dose_one_wins_the_other_is_told(clinic_a):
    courses = [uc_course(clinic_a) for _ in range(2)]
    lot = released_lot(clinic_a, doses=1)
    results = race(
        *(lambda course=course: lots.dose_reserve(course=course, lot=lot) for course in courses)
    )
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and not unexpected(results, ValidationError), results
    assert "has no dose left" in refused[0].messages[0]
    assert "choose another lot" in refused[0].messages[0]
    lot.refresh_from_db()
    assert (lot.doses_reserved, lot.doses_used, lot.doses_available) == (1, 0, 0)
    reserved = [c for c in courses if c.dose_allocations.filter(status="reserved").exists()]
    assert len(reserved) == 1
    assert reserved[0].appointments.filter(step_key="infusion-1").exists()
