"""Undo races a booking: a cancelled visit restored while another coordinator books its freed
slot. Threads lined up on a barrier, each with its own connection; both writes lock the clinic
first (services/locks.py), so exactly one of them gets the slot and the other is refused."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointments
from tests import factories
from tests.races import race

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_restoring_a_cancelled_visit_while_its_slot_is_booked_gives_one_slot_holder(
    clinic, rooms, physician
):
    tomorrow = timezone.localdate(timezone=clinic.zone) + dt.timedelta(days=1)
    for hour in (9, 10, 11):
        starts_at = dt.datetime.combine(tomorrow, dt.time(hour), tzinfo=clinic.zone)
        cancelled = factories.AppointmentFactory(
            patient=factories.PatientFactory(clinic=clinic),
            room=rooms[0],
            clinician=physician,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=30),
        )
        appointments.appointment_cancel(appointment=cancelled, reason="patient ill")
        waiting = factories.AppointmentFactory(
            patient=factories.PatientFactory(clinic=clinic),
            status=AppointmentStatus.TENTATIVE,
            starts_at=starts_at + dt.timedelta(days=1),
            ends_at=starts_at + dt.timedelta(days=1, minutes=30),
        )
        results = race(
            lambda c=cancelled: appointments.appointment_restore(appointment=c),
            lambda w=waiting, s=starts_at: appointments.appointment_book(
                appointment=w, starts_at=s, room=rooms[0], clinician=physician
            ),
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], appointments.AppointmentRefused), results
        holders = Appointment.objects.filter(
            clinic=clinic,
            room=rooms[0],
            starts_at=starts_at,
            status__in=[AppointmentStatus.BOOKED],
        )
        assert holders.count() == 1
        cancelled.refresh_from_db()
        waiting.refresh_from_db()
        assert (cancelled.status == AppointmentStatus.BOOKED) != (
            waiting.status == AppointmentStatus.BOOKED
        )
