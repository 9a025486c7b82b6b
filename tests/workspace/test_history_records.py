"""The history in words for the clinic's and the lab's records: each audited model's common
changes as one sentence, naming the record as staff do (scheduling/history_records.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from scheduling.audit import acting_as
from scheduling.models import (
    CalendarFeed,
    ClosedDate,
    CourseOutcome,
    DonorLot,
    DoseAllocation,
)
from tests import factories
from tests.workspace.test_history import newest

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 2)
BY = " by Carla Cole (coordinator)"


@pytest.fixture
def carla(coordinator):
    coordinator.first_name, coordinator.last_name = "Carla", "Cole"
    coordinator.save()
    return coordinator


def said(clinic, carla, **filters) -> str:
    return newest(clinic, actor=carla, **filters).headline


def test_cell_batch_added_and_released(clinic, patient_a, carla):
    course = factories.CourseFactory(patient=patient_a)
    with acting_as(carla):
        batch = factories.CellBatchFactory(course=course, lot_number="LOT-7")
    assert said(clinic, carla) == "Cell batch LOT-7 added" + BY
    with acting_as(carla):
        batch.status, batch.qc_released_on, batch.qc_identity = "released", DAY, True
        batch.expires_on = DAY + dt.timedelta(days=30)
        batch.save()
    entry = newest(clinic, actor=carla)
    assert entry.headline == "Cell batch LOT-7 now released (QC passed)" + BY
    assert "Cell batch LOT-7: QC identity changed from no to yes" in entry.details
    assert "Cell batch LOT-7: expires on set to Fri 1 Jan 2027" in entry.details


def test_donor_lot_and_a_dose_of_it(clinic, patient_a, carla):
    course = factories.CourseFactory(patient=patient_a, source="umbilical-cord")
    with acting_as(carla):
        lot = DonorLot.objects.create(
            clinic=clinic, lot_number="UC-1", donor_screening_ref="D1", doses=5,
            expires_on=DAY + dt.timedelta(days=100), storage_location="Tank A",
        )  # fmt: skip
    assert said(clinic, carla) == "Donor lot UC-1 added" + BY
    with acting_as(carla):
        dose = DoseAllocation.objects.create(lot=lot, course=course)
    assert said(clinic, carla) == "A dose of donor lot UC-1 added" + BY
    with acting_as(carla):
        dose.status, dose.used_on = "used", DAY
        dose.save()
    assert said(clinic, carla) == "A dose of donor lot UC-1 now used at the infusion" + BY


def test_consent_recorded_and_withdrawn_and_an_outcome(clinic, patient_a, carla):
    course = factories.CourseFactory(patient=patient_a, consent=False)
    with acting_as(carla):
        consent = factories.consent_for(course, signed_on=dt.date(2026, 9, 3))
    assert said(clinic, carla) == (
        "Consent form v1 signed Thu 3 Sep 2026, witnessed by Nurse Witness recorded" + BY
    )
    with acting_as(carla):
        consent.withdrawn_on, consent.withdrawal_reason = DAY, "changed her mind"
        consent.save()
    assert said(clinic, carla) == (
        "Consent form v1 withdrawn on Wed 2 Dec 2026 (changed her mind)" + BY
    )
    with acting_as(carla):
        CourseOutcome.objects.create(
            course=course, kind="transfer", occurred_on=DAY, embryos=1,
            embryo_stage="blastocyst", transfer_type="frozen",
        )  # fmt: skip
    assert said(clinic, carla) == "Embryo transfer recorded for Wed 2 Dec 2026" + BY


def test_clinic_settings_closed_days_rooms_and_feeds(clinic, rooms, carla):
    with acting_as(carla):
        clinic.open_weekdays, clinic.thickness_threshold_mm = "mon,tue,wed", Decimal("6.5")
        clinic.save()
    entry = newest(clinic, actor=carla)
    assert entry.headline == (
        "Clinic settings: open weekdays changed from Mon, Tue, Wed, Thu, Fri, Sat, Sun"
        " to Mon, Tue, Wed" + BY
    )
    assert entry.details == ["Clinic settings: thickness threshold (mm) changed from 7 to 6.5"]
    with acting_as(carla):
        closed = ClosedDate.objects.create(
            clinic=clinic, date=dt.date(2026, 12, 25), reason="Christmas"
        )
    assert said(clinic, carla) == "Clinic closed on Fri 25 Dec 2026 (Christmas)" + BY
    with acting_as(carla):
        closed.delete()
    assert said(clinic, carla) == "Clinic open again on Fri 25 Dec 2026" + BY
    with acting_as(carla):
        rooms[0].is_active = False
        rooms[0].save()
    assert said(clinic, carla) == "Room Procedure room 1 taken out of use" + BY
    with acting_as(carla):
        rooms[1].visit_kinds, rooms[1].name = ["ultrasound", "follow-up"], "Scan room"
        rooms[1].save()
    entry = newest(clinic, actor=carla)
    assert entry.headline == "Room Scan room now holds: Ultrasound, Follow-up" + BY
    assert entry.details == ["Room Scan room: name changed from Procedure room 2 to Scan room"]
    with acting_as(carla):
        feed = CalendarFeed.objects.create(clinic=clinic, room=rooms[1])
        feed.revoked_at = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
        feed.save()
    assert said(clinic, carla) == "Calendar feed for room Scan room revoked" + BY


def test_staff_accounts_and_roles(clinic, physician, carla):
    with acting_as(carla):
        physician.email = "pat@new.example"
        physician.save()
    assert said(clinic, carla) == (
        "Staff account Pat Doctor: email address changed from dr_pat@clinic.example"
        " to pat@new.example" + BY
    )
    with acting_as(carla):
        physician.set_password("another-horse-battery")
        physician.save()
    assert said(clinic, carla) == "Staff account Pat Doctor: password changed" + BY
    membership = physician.memberships.get()
    with acting_as(carla):
        membership.role = "admin"
        membership.save()
    assert said(clinic, carla) == "Pat Doctor's role changed from physician to clinic admin" + BY


def test_reminders_are_counted_under_the_act_that_made_them(clinic, patient_a, carla):
    with acting_as(carla):
        visit = factories.AppointmentFactory(patient=patient_a, kind="infusion")
        for _ in range(2):
            factories.ReminderFactory(appointment=visit, kind="procedure-1d")
            visit.version += 1
    entry = newest(clinic, actor=carla)
    assert entry.headline.startswith("Infusion booked for")
    assert entry.details == ["2 reminders scheduled: Procedure tomorrow"]


def test_the_batch_page_reads_its_history_in_words(staff_client, clinic, patient_a, carla, lab_a):
    course = factories.CourseFactory(patient=patient_a)
    with acting_as(carla):
        batch = factories.CellBatchFactory(course=course, lot_number="LOT-9")
        batch.progress_note = "day 5: confluent"
        batch.save()
    html = staff_client(lab_a).get(reverse("batch-detail", args=[batch.pk])).content.decode()
    assert "Cell batch LOT-9: progress note set to day 5: confluent" + BY in html
    assert "Cell batch LOT-9 added" + BY in html
    assert "progress_note" not in html
