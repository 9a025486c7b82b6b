"""Invariants the database itself enforces, whatever code writes the rows."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from scheduling.models import AppointmentStatus, ReminderKind
from tests import factories

pytestmark = pytest.mark.django_db


def test_appointment_must_end_after_it_starts(patient_a):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AppointmentFactory(patient=patient_a, starts_at=start, ends_at=start)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AppointmentFactory(
            patient=patient_a, starts_at=start, ends_at=start - dt.timedelta(minutes=5)
        )
    factories.AppointmentFactory(
        patient=patient_a, starts_at=start, ends_at=start + dt.timedelta(minutes=1)
    )


def test_one_reminder_per_appointment_version_and_kind(patient_a):
    appointment = factories.AppointmentFactory(patient=patient_a)
    factories.ReminderFactory(appointment=appointment, kind=ReminderKind.PROCEDURE_1_DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ReminderFactory(appointment=appointment, kind=ReminderKind.PROCEDURE_1_DAY)
    # Another kind, or the same kind for the moved (next) version of the appointment, is fine.
    factories.ReminderFactory(appointment=appointment, kind=ReminderKind.PROCEDURE_3_DAYS)
    factories.ReminderFactory(
        appointment=appointment, appointment_version=2, kind=ReminderKind.PROCEDURE_1_DAY
    )
    assert appointment.reminders.count() == 3


def test_batch_cannot_use_more_doses_than_it_has(clinic_a):
    course = factories.CourseFactory(patient=factories.PatientFactory(clinic=clinic_a))
    batch = factories.CellBatchFactory(course=course, doses=2, doses_used=2)
    batch.doses_used = 3
    with pytest.raises(IntegrityError), transaction.atomic():
        batch.save()


def test_released_batch_needs_a_release_date(clinic_a):
    course = factories.CourseFactory(patient=factories.PatientFactory(clinic=clinic_a))
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CellBatchFactory(course=course, status="released", qc_released_on=None)


def test_one_live_appointment_per_course_step(clinic_a):
    course = factories.CourseFactory(patient=factories.PatientFactory(clinic=clinic_a))
    first = factories.AppointmentFactory(
        patient=course.patient, course=course, step_key="infusion-1", kind="infusion"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AppointmentFactory(
            patient=course.patient, course=course, step_key="infusion-1", kind="infusion"
        )
    first.status = AppointmentStatus.CANCELLED
    first.save()
    factories.AppointmentFactory(
        patient=course.patient, course=course, step_key="infusion-1", kind="infusion"
    )


def test_patient_cycle_parameters_are_bounded(clinic_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PatientFactory(clinic=clinic_a, stated_cycle_length=14)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PatientFactory(clinic=clinic_a, luteal_length=17)
