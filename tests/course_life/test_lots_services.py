"""Donor lots and their doses (services/lots.py), and a patient batch failing QC
(services/lab_failures.py), on Wednesday 25 February 2026 in a Mon-Fri London clinic."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import (
    AllocationStatus,
    AppointmentStatus,
    Course,
    CourseStatus,
    DonorLot,
    LotStatus,
    PeriodStart,
)
from scheduling.selectors import lots as lot_selectors
from scheduling.selectors.attention import attention_for
from scheduling.services import lab_failures, lots, outcomes, recording
from scheduling.services.planning import course_replan
from scheduling.services.replans import replan_sweep
from tests import factories

D = dt.date
PASSED = {"identity": True, "purity": True, "viability": True, "sterility": True}


LOT_EXPIRY = D(2026, 9, 30)


def released_lot(clinic, number="UC-001", doses=3, expires_on=LOT_EXPIRY) -> DonorLot:
    lot = lots.lot_create(
        clinic=clinic,
        lot_number=number,
        donor_screening_ref="DS-77",
        doses=doses,
        expires_on=expires_on,
        storage_location="LN2 tank 2, rack C",
    )
    return lots.lot_release(lot=lot, released_on=D(2026, 2, 20), **PASSED)


@pytest.fixture
def uc_course(clinic_a, today):
    """28-day cycles from 5 Jan and 2 Feb 2026: the next cycle starts Mon 2 March."""
    patient = factories.PatientFactory(clinic=clinic_a, time_zone="Europe/London")
    for day in (D(2026, 1, 5), D(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    course = factories.CourseFactory(
        patient=patient, source="umbilical-cord", not_before=D(2026, 2, 2)
    )
    course_replan(course=course, notify=False)
    course.refresh_from_db()
    return course


def live(course, key):
    return course.appointments.filter(step_key=key).exclude(
        status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    )


def counts(lot):
    lot.refresh_from_db()
    return lot.doses_reserved, lot.doses_used, lot.doses_available


def test_a_uc_course_waits_without_a_dose_and_is_listed(uc_course, clinic_a):
    assert not live(uc_course, "infusion-1").exists()
    assert not live(uc_course, "harvest").exists()
    (item,) = attention_for(clinic=clinic_a).donor_lot_waiting
    assert item.course == uc_course and item.lot_available is False
    released_lot(clinic_a)
    (item,) = attention_for(clinic=clinic_a).donor_lot_waiting
    assert item.lot_available is True


def test_reserve_use_return_and_the_lead_time(uc_course, clinic_a):
    lot = released_lot(clinic_a)
    day, serving = lot_selectors.lots_for_course(uc_course)
    # ready Fri 27 Feb (today + 2) is luteal: CD10 of the cycle from Mon 2 March
    assert day == D(2026, 3, 11) and serving == [lot]
    recorded = lots.dose_reserve(course=uc_course, lot=lot)
    assert "A dose of lot UC-001 reserved." in recorded.notes
    assert counts(lot) == (1, 0, 2)
    infusion = live(uc_course, "infusion-1").get()
    assert infusion.starts_at.date() == D(2026, 3, 11)
    assert attention_for(clinic=clinic_a).donor_lot_waiting == []
    again = lots.dose_reserve(course=uc_course, lot=lot)  # a second submit
    assert "already reserved" in again.notes[0] and counts(lot) == (1, 0, 2)
    with time_machine.travel(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC), tick=False):
        recording.appointment_mark_done(appointment=infusion, notify=False)
        recording.appointment_mark_done(appointment=infusion, notify=False)  # double submit
    assert counts(lot) == (0, 1, 2)
    allocation = uc_course.dose_allocations.get()
    assert (allocation.status, allocation.used_on) == (AllocationStatus.USED, D(2026, 3, 11))


def test_an_infusion_added_after_a_thin_result_waits_for_a_dose_and_is_listed(uc_course, clinic_a):
    lot = released_lot(clinic_a)
    lots.dose_reserve(course=uc_course, lot=lot)
    infusion = live(uc_course, "infusion-1").get()
    with time_machine.travel(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC), tick=False):
        recording.appointment_mark_done(appointment=infusion, notify=False)
    assert attention_for(clinic=clinic_a).donor_lot_waiting == []  # one infusion planned, done
    scan = live(uc_course, "ultrasound-1").get()
    scan_day = scan.starts_at.date()
    with time_machine.travel(dt.datetime.combine(scan_day, dt.time(15), tzinfo=dt.UTC)):
        recording.thickness_record(
            course=uc_course, measured_on=scan_day, thickness_mm="5.1", appointment=scan,
            notify=False,
        )  # fmt: skip
    uc_course.refresh_from_db()
    assert uc_course.planned_infusions == 1 and uc_course.waits_for_dose
    assert not live(uc_course, "infusion-2").exists()  # the engine's second infusion waits
    (item,) = attention_for(clinic=clinic_a).donor_lot_waiting
    assert item.course == uc_course and item.lot_available is True
    lots.dose_reserve(course=uc_course, lot=lot)
    assert live(uc_course, "infusion-2").exists()
    assert attention_for(clinic=clinic_a).donor_lot_waiting == []


def test_the_upgrade_lists_the_waiting_courses_and_asks_for_their_replan(uc_course, clinic_a):
    upgrade = importlib.import_module("scheduling.migrations.0013_course_waits_for_dose")
    Course.objects.update(waits_for_dose=False, replan_requested_at=None)  # as before 0013
    upgrade.mark(django_apps, None)
    uc_course.refresh_from_db()
    assert uc_course.waits_for_dose and uc_course.replan_requested_at is not None
    replan_sweep(now=timezone.now() + dt.timedelta(hours=1))  # the beat's sweeper
    uc_course.refresh_from_db()
    assert uc_course.waits_for_dose and uc_course.replan_requested_at is None


def test_closing_the_course_returns_its_reserved_dose(uc_course, clinic_a, today):
    lot = released_lot(clinic_a)
    lots.dose_reserve(course=uc_course, lot=lot)
    recorded = outcomes.course_close(
        course=uc_course, status=CourseStatus.CANCELLED, reason="Moved away"
    )
    assert "1 reserved donor-lot dose(s) returned to the lot." in recorded.notes
    assert counts(lot) == (0, 0, 3)
    allocation = uc_course.dose_allocations.get()
    assert allocation.status == AllocationStatus.RETURNED and allocation.returned_at
    outcomes.course_reopen(course=uc_course)
    assert not live(uc_course, "infusion-1").exists()  # it waits for a dose again


def test_an_infusion_without_a_reserved_dose_is_refused(uc_course, clinic_a, today):
    lot = released_lot(clinic_a)
    lots.dose_reserve(course=uc_course, lot=lot)
    infusion = live(uc_course, "infusion-1").get()
    infusion.status = AppointmentStatus.BOOKED  # booked: a re-plan never removes it
    infusion.save(update_fields=["status"])
    lots.lot_fail(lot=lot, reason="Viability 61 %")
    march_11 = time_machine.travel(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC), tick=False)
    with march_11, pytest.raises(ValidationError, match="No donor-lot dose is reserved"):
        recording.appointment_mark_done(appointment=infusion, notify=False)
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.BOOKED and counts(lot) == (0, 0, 3)


def test_failing_a_lot_returns_its_doses_and_the_course_waits_again(uc_course, clinic_a):
    lot = released_lot(clinic_a)
    lots.dose_reserve(course=uc_course, lot=lot)
    assert live(uc_course, "infusion-1").exists()
    recorded = lots.lot_fail(lot=lot, reason="Sterility: late positive culture")
    assert "1 reserved dose(s) returned" in " ".join(recorded.notes)
    lot.refresh_from_db()
    assert (lot.status, lot.doses_reserved) == (LotStatus.FAILED, 0)
    assert not live(uc_course, "infusion-1").exists()  # re-planned: waiting for a lot
    (item,) = attention_for(clinic=clinic_a).donor_lot_waiting
    assert item.course == uc_course and item.lot_available is False
    assert "already recorded" in lots.lot_fail(lot=lot, reason="again").notes[0]
    with pytest.raises(ValidationError, match="not released"):
        lots.dose_reserve(course=uc_course, lot=lot)


def test_release_needs_all_four_checks_and_happens_once(clinic_a, today):
    lot = lots.lot_create(
        clinic=clinic_a, lot_number="UC-9", donor_screening_ref="DS", doses=2,
        expires_on=D(2026, 12, 1), storage_location="Tank 1",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="not: sterility"):
        lots.lot_release(lot=lot, released_on=today, **(PASSED | {"sterility": False}))
    lot.refresh_from_db()
    assert lot.status == LotStatus.QUARANTINE
    lots.lot_release(lot=lot, released_on=today, **PASSED)
    with pytest.raises(ValidationError, match="released once"):
        lots.lot_release(lot=lot, released_on=today, **PASSED)


def test_lot_numbers_are_unique_per_clinic_as_a_form_error(clinic_a, clinic_b, today):
    released_lot(clinic_a, "UC-7")
    with pytest.raises(ValidationError) as error:
        released_lot(clinic_a, "UC-7")
    assert error.value.message_dict == {"lot_number": [lots.LOT_TAKEN]}
    assert released_lot(clinic_b, "UC-7").clinic == clinic_b


def test_lots_that_expire_before_the_planned_day_cannot_serve(uc_course, clinic_a):
    # expires Fri 6 March, before cycle day 6 (7 March) of her next cycle
    early = released_lot(clinic_a, "EARLY", expires_on=D(2026, 3, 6))
    later = released_lot(clinic_a, "LATER", expires_on=D(2026, 3, 11))
    day, serving = lot_selectors.lots_for_course(uc_course)
    assert day == D(2026, 3, 11) and serving == [later]
    with pytest.raises(ValidationError, match=r"Lot EARLY cannot serve this course: .*expires"):
        lots.dose_reserve(course=uc_course, lot=early)
    assert counts(early) == (0, 0, 3) and not uc_course.dose_allocations.exists()
    uc_course.refresh_from_db()
    assert uc_course.plan_problem == ""
    with pytest.raises(ValidationError, match="expired already"):
        released_lot(clinic_a, "OLD", expires_on=D(2026, 2, 25))
    march_12 = time_machine.travel(dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC), tick=False)
    with march_12, pytest.raises(ValidationError, match="has expired"):
        lots.dose_reserve(course=uc_course, lot=later)


def test_low_and_expiring_flags(clinic_a, uc_course, today):
    other = factories.CourseFactory(
        patient=uc_course.patient, source="umbilical-cord", not_before=today
    )
    course_replan(course=other, notify=False)
    assert lot_selectors.waiting_courses(clinic_a).count() == 2
    one = released_lot(clinic_a, "ONE", doses=1, expires_on=today + dt.timedelta(days=20))
    plenty = released_lot(clinic_a, "PLENTY", doses=5)
    rows, waiting = lot_selectors.lot_overview(clinic_a)
    flags = {row.lot.lot_number: (row.low, row.expiring) for row in rows}
    assert waiting == 2 and flags == {"ONE": (True, True), "PLENTY": (False, False)}
    assert lot_selectors.running_low(clinic_a) == [one]
    assert lot_selectors.expiring_soon(clinic_a) == [one]
    lots.dose_reserve(course=other, lot=plenty)
    assert lot_selectors.running_low(clinic_a) == []


def test_the_database_refuses_more_doses_than_the_lot_and_an_unchecked_release(clinic_a, today):
    lot = released_lot(clinic_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorLot.objects.filter(pk=lot.pk).update(doses_reserved=2, doses_used=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorLot.objects.filter(pk=lot.pk).update(qc_sterility=False)
    quarantined = lots.lot_create(
        clinic=clinic_a, lot_number="Q", donor_screening_ref="DS", doses=1,
        expires_on=D(2026, 12, 1), storage_location="Tank 1",
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorLot.objects.filter(pk=quarantined.pk).update(status=LotStatus.RELEASED)


def test_editing_a_lot_keeps_its_committed_doses(clinic_a, uc_course):
    lot = released_lot(clinic_a, doses=2)
    lots.dose_reserve(course=uc_course, lot=lot)
    with pytest.raises(ValidationError, match="reserved or used"):
        lots.lot_edit(lot=lot, doses=0)
    released_lot(clinic_a, "TAKEN")
    with pytest.raises(ValidationError) as error:
        lots.lot_edit(lot=lot, lot_number="TAKEN")
    assert "lot_number" in error.value.message_dict
    lots.lot_edit(lot=lot, storage_location="Tank 3", doses=4)
    assert counts(lot) == (1, 0, 3)


# -- a patient batch failing QC ----------------------------------------------------------------


def test_a_failed_batch_replans_a_new_harvest_and_needs_attention(course, clinic_a, today):
    """``course``: bone marrow, harvested 3 Feb, released 20 Feb (conftest)."""
    batch = course.batches.get()
    assert live(course, "infusion-1").exists()
    with pytest.raises(ValidationError) as error:
        lab_failures.batch_fail(batch=batch, failed_checks=[], reason="")
    assert set(error.value.message_dict) == {"failed_checks", "reason"}
    recorded = lab_failures.batch_fail(
        batch=batch, failed_checks=["sterility"], reason="Mycoplasma positive"
    )
    assert recorded.notes[0] == f"Lot {batch.lot_number} recorded as failed QC."
    batch.refresh_from_db()
    assert batch.failure_reason == "Sterility failed: Mycoplasma positive"
    harvest = live(course, "harvest").get()
    assert harvest.status == AppointmentStatus.TENTATIVE and harvest.starts_at.date() >= today
    assert course.appointments.filter(kind="harvest", status="done", step_key="").count() == 1
    (failed,) = attention_for(clinic=clinic_a).cells_failed
    assert failed == batch and "Mycoplasma" in failed.failure_reason
    recording.harvest_record_done(course=course, on=today, notify=False)
    assert attention_for(clinic=clinic_a).cells_failed == []


def test_the_clinics_lead_time_and_pregnancy_setting_reach_the_engine(uc_course, clinic_a):
    from scheduling.selectors.courses import course_input

    clinic_a.uc_thaw_lead_days, clinic_a.follow_ups_in_pregnancy = 5, "drop"
    clinic_a.save()
    uc_course.refresh_from_db()
    protocol = course_input(uc_course).protocol
    assert (protocol.uc_thaw_lead_days, protocol.follow_ups_in_pregnancy) == (5, "drop")
    lot = released_lot(clinic_a)
    lots.dose_reserve(course=uc_course, lot=lot)
    facts = course_input(uc_course).facts
    assert (facts.lot_allocated_on, facts.expires_on) == (D(2026, 2, 25), LOT_EXPIRY)
