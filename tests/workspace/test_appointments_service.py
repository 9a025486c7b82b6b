"""Booking and moving appointments: the engine's rules and the clinic's rooms decide."""

import datetime as dt

import pytest

from scheduling.models import AppointmentStatus
from scheduling.services.appointments import (
    AppointmentRefused,
    SlotTaken,
    appointment_cancel,
    appointment_confirm,
    appointment_move,
)
from tests import factories
from tests.workspace.conftest import book_at, day_with, infusion

pytestmark = pytest.mark.django_db


def local_day(appointment):
    return appointment.starts_at.astimezone(appointment.clinic.zone).date()


def test_booking_a_tentative_infusion_sets_time_room_clinician(planned_course, rooms, physician):
    appointment = infusion(planned_course)
    assert appointment.status == AppointmentStatus.TENTATIVE
    day = local_day(appointment)

    version = appointment.version
    booked = book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)

    assert booked.status == AppointmentStatus.BOOKED
    assert booked.room == rooms[0] and booked.clinician == physician
    assert booked.starts_at.astimezone(booked.clinic.zone).hour == 9
    assert booked.ends_at - booked.starts_at == dt.timedelta(minutes=45)
    assert booked.version == version + 1


def test_double_booking_of_room_clinician_or_patient_is_refused(
    planned_course, clinic, rooms, physician
):
    appointment = infusion(planned_course)
    day = local_day(appointment)
    at_nine = dt.datetime.combine(day, dt.time(9), tzinfo=clinic.zone)
    other = factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic),
        room=rooms[0],
        starts_at=at_nine + dt.timedelta(minutes=30),
        ends_at=at_nine + dt.timedelta(minutes=60),
    )
    with pytest.raises(SlotTaken, match="room"):
        book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)

    other.room, other.clinician = rooms[1], physician
    other.save()
    with pytest.raises(SlotTaken, match="clinician"):
        book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)

    other.clinician, other.patient = None, appointment.patient
    other.save()
    with pytest.raises(SlotTaken, match="patient"):
        book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.TENTATIVE


def test_move_into_the_luteal_phase_is_refused_and_nothing_changes(
    planned_course, clinic, rooms, physician
):
    appointment = infusion(planned_course)
    day = local_day(appointment)
    booked = book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)
    luteal = day_with(planned_course, allowed=False, phase="luteal", near=day)

    with pytest.raises(AppointmentRefused, match="proliferative phase") as refusal:
        appointment_move(
            appointment=booked,
            starts_at=dt.datetime.combine(luteal, dt.time(9), tzinfo=clinic.zone),
        )
    assert "luteal" in str(refusal.value)
    unchanged = infusion(planned_course)
    assert (unchanged.starts_at, unchanged.version) == (booked.starts_at, booked.version)


def test_move_to_another_proliferative_day_is_saved_with_a_new_version(
    planned_course, clinic, rooms, physician
):
    appointment = infusion(planned_course)
    day = local_day(appointment)
    booked = book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)
    other_day = day_with(planned_course, allowed=True, near=day)

    version = booked.version
    appointment_move(
        appointment=booked,
        starts_at=dt.datetime.combine(other_day, dt.time(10, 15), tzinfo=clinic.zone),
    )

    moved = infusion(planned_course)
    assert local_day(moved) == other_day
    assert moved.version == version + 1
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=45)


def test_move_outside_opening_hours_is_refused(planned_course, clinic, rooms, physician):
    appointment = infusion(planned_course)
    day = local_day(appointment)
    booked = book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)
    with pytest.raises(AppointmentRefused, match="open 08:00 to 18:00"):
        appointment_move(
            appointment=booked,
            starts_at=dt.datetime.combine(day, dt.time(17, 30), tzinfo=clinic.zone),
        )


def test_confirm_then_cancel_gives_the_step_a_new_tentative_visit(planned_course, rooms, physician):
    appointment = infusion(planned_course)
    booked = book_at(
        appointment, day=local_day(appointment), hour=9, room=rooms[0], clinician=physician
    )
    confirmed = appointment_confirm(appointment=booked)
    assert confirmed.status == AppointmentStatus.CONFIRMED
    with pytest.raises(AppointmentRefused):
        appointment_confirm(appointment=confirmed)

    appointment_cancel(appointment=confirmed)

    confirmed.refresh_from_db()
    assert confirmed.status == AppointmentStatus.CANCELLED
    assert infusion(planned_course).status == AppointmentStatus.TENTATIVE
