"""Writes that race: threads lined up on a `threading.Barrier`, each with its own connection.

The races are real on PostgreSQL (the suite's second pass): every write path takes its locks in
one order (clinic, course, appointments: services/locks.py), so the second writer waits for the
first and then sees its work. The SQLite pass runs the same tests, where the IMMEDIATE
transaction serialises writers; the outcome asserted is the same.
"""

import datetime as dt

import pytest
import time_machine

from scheduling.links import Link, Purpose
from scheduling.models import AppointmentStatus, CellBatch, PeriodStart
from scheduling.services import appointments, patient_links, periods, recording
from scheduling.services.planning import course_replan
from tests import factories
from tests.planning.conftest import at, live
from tests.races import race, unexpected

pytestmark = [pytest.mark.django_db(transaction=True)]

TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
ROUNDS = 3


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def test_a_replan_never_undoes_a_booking_made_at_the_same_time(
    released_course, rooms, doctor, frozen_today
):
    for round_ in range(ROUNDS):
        infusion = live(released_course, "infusion-1")
        starts_at = at(infusion.clinic, dt.date(2026, 3, 11), 9 + round_)
        results = race(
            lambda infusion=infusion, starts_at=starts_at: appointments.appointment_book(
                appointment=infusion, starts_at=starts_at, room=rooms[0], clinician=doctor
            ),
            lambda: course_replan(course=released_course),
        )
        assert not unexpected(results), results
        infusion.refresh_from_db()
        assert (infusion.status, infusion.starts_at) == (AppointmentStatus.BOOKED, starts_at)
        assert (infusion.room, infusion.clinician) == (rooms[0], doctor)
        appointments.appointment_cancel(appointment=infusion, reason="next round")


def test_two_coordinators_booking_one_slot_get_one_booking_and_one_refusal(clinic_a, rooms, doctor):
    for round_ in range(ROUNDS):
        visits = [
            factories.AppointmentFactory(
                patient__clinic=clinic_a,
                status=AppointmentStatus.TENTATIVE,
                starts_at=at(clinic_a, dt.date(2026, 3, 10), 8),
                ends_at=at(clinic_a, dt.date(2026, 3, 10), 8, 30),
            )
            for _ in range(2)
        ]
        slot = at(clinic_a, dt.date(2026, 3, 10), 9 + round_)
        results = race(
            *(
                lambda visit=visit, slot=slot: appointments.appointment_book(
                    appointment=visit, starts_at=slot, room=rooms[0], clinician=doctor
                )
                for visit in visits
            )
        )
        refused = [r for r in results if isinstance(r, appointments.SlotTaken)]
        assert len(refused) == 1 and not unexpected(results, appointments.SlotTaken), results
        statuses = sorted(
            type(visit).objects.get(pk=visit.pk).status for visit in visits
        )  # fmt: skip
        assert statuses == [AppointmentStatus.BOOKED, AppointmentStatus.TENTATIVE]


def test_two_infusion_done_submits_use_one_dose(released_course, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC))
    infusion = live(released_course, "infusion-1")
    results = race(
        *(lambda: recording.appointment_mark_done(appointment=infusion) for _ in range(2))
    )
    assert not unexpected(results), results
    assert CellBatch.objects.get(course=released_course).doses_used == 1
    notes = [note for result in results for note in result.notes]
    assert len(notes) == 1 and notes[0].startswith("Already recorded as done")
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.DONE


def test_a_patient_link_posted_twice_records_one_period_start(released_course):
    patient = released_course.patient
    link = Link(Purpose.PERIOD, patient.pk, 0, "race-nonce", TODAY + dt.timedelta(days=7))
    results = race(
        *(
            lambda: patient_links.period_report_by_patient(link=link, date=dt.date(2026, 3, 2))
            for _ in range(2)
        )
    )
    used = [r for r in results if isinstance(r, patient_links.LinkUsed)]
    assert len(used) == 1 and not unexpected(results, patient_links.LinkUsed), results
    assert PeriodStart.objects.filter(patient=patient, date=dt.date(2026, 3, 2)).count() == 1


def test_a_period_report_during_a_booking_keeps_the_booking(released_course, rooms, doctor):
    infusion = live(released_course, "infusion-1")
    starts_at = at(infusion.clinic, dt.date(2026, 3, 11), 10)
    results = race(
        lambda: appointments.appointment_book(
            appointment=infusion, starts_at=starts_at, room=rooms[1], clinician=doctor
        ),
        lambda: periods.period_start_report(
            patient=released_course.patient, date=dt.date(2026, 3, 2)
        ),
    )
    assert not unexpected(results), results
    infusion.refresh_from_db()
    assert (infusion.status, infusion.starts_at, infusion.room) == (
        AppointmentStatus.BOOKED,
        starts_at,
        rooms[1],
    )
    assert PeriodStart.objects.filter(patient=released_course.patient).count() == 3
