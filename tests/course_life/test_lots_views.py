"""The lab's donor-lot pages, allocating a dose and a batch's QC failure, through the views."""

import datetime as dt

import pytest

from scheduling.models import AllocationStatus, BatchStatus, DonorLot, LotStatus, PeriodStart
from scheduling.services import lots
from tests import factories

D = dt.date
LOT = {
    "lot_number": "UC-100",
    "donor_screening_ref": "DS-1",
    "doses": "4",
    "expires_on": "2026-10-01",
    "storage_location": "Tank 2",
}
PASSED = {"identity": True, "purity": True, "viability": True, "sterility": True}


@pytest.fixture
def uc_course(clinic_a, today):
    patient = factories.PatientFactory(clinic=clinic_a, time_zone="Europe/London")
    for day in (D(2026, 1, 5), D(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    return factories.CourseFactory(
        patient=patient, source="umbilical-cord", not_before=D(2026, 2, 2)
    )


EXPIRY = D(2026, 10, 1)


def new_lot(clinic, number="UC-1", expires_on=EXPIRY, doses=2):
    lot = lots.lot_create(
        clinic=clinic, lot_number=number, donor_screening_ref="DS", doses=doses,
        expires_on=expires_on, storage_location="Tank 1",
    )  # fmt: skip
    return lots.lot_release(lot=lot, released_on=D(2026, 2, 20), **PASSED)


def test_the_lab_enters_releases_and_fails_a_lot(staff_client, lab_a, clinic_a, today):
    client = staff_client(lab_a)
    response = client.post("/lots/new", LOT)
    lot = DonorLot.objects.get(lot_number="UC-100")
    assert response.status_code == 302 and lot.status == LotStatus.QUARANTINE
    again = client.post("/lots/new", LOT)
    assert again.status_code == 422
    assert "already has a donor lot with this number" in again.content.decode()
    refused = client.post(
        f"/lots/{lot.pk}/",
        {"release-released_on": "2026-02-24", "release-identity": "on", "release-purity": "on"},
    )
    assert refused.status_code == 422 and "not: viability, sterility" in refused.content.decode()
    client.post(
        f"/lots/{lot.pk}/",
        {
            "release-released_on": "2026-02-24",
            **{f"release-{name}": "on" for name in PASSED},
        },
    )
    lot.refresh_from_db()
    assert lot.status == LotStatus.RELEASED
    page = client.get("/lots/").content.decode()
    assert "UC-100" in page
    client.post(f"/lots/{lot.pk}/", {"fail-reason": "Endotoxin above limit"})
    lot.refresh_from_db()
    assert lot.status == LotStatus.FAILED and lot.failure_reason == "Endotoxin above limit"


def test_roles_and_clinics(
    staff_client, physician_a, coordinator_a, coordinator_b, clinic_a, today
):
    lot = new_lot(clinic_a)
    assert staff_client(physician_a).post("/lots/new", LOT).status_code == 403
    assert staff_client(coordinator_a).get("/lots/").status_code == 200
    assert (
        staff_client(coordinator_a).post(f"/lots/{lot.pk}/", {"fail-reason": "x"}).status_code
        == 403
    )
    assert staff_client(coordinator_b).get(f"/lots/{lot.pk}/").status_code == 404


def test_a_coordinator_allocates_a_dose_from_the_patient_page(
    staff_client, coordinator_a, clinic_a, uc_course
):
    from scheduling.services.planning import course_replan

    course_replan(course=uc_course, notify=False)
    new_lot(clinic_a, "EARLY", expires_on=D(2026, 3, 5))  # expires before the planned day
    lot = new_lot(clinic_a, "GOOD")
    client = staff_client(coordinator_a)
    patient_page = client.get(f"/patients/{uc_course.patient_id}/").content.decode()
    assert "Allocate a dose" in patient_page and "waits for a donor lot" in patient_page
    page = client.get(f"/courses/{uc_course.pk}/dose")
    text = page.content.decode()
    assert "Wed 11 Mar 2026" in text and "GOOD" in text and "EARLY" not in text
    response = client.post(f"/courses/{uc_course.pk}/dose", {"lot": lot.pk})
    assert response.status_code == 302
    assert uc_course.dose_allocations.get().status == AllocationStatus.RESERVED
    patient_page = client.get(f"/patients/{uc_course.patient_id}/").content.decode()
    assert "Donor lot GOOD reserved" in patient_page
    assert 'data-testid="timeline-infusion-1"' in patient_page


def test_the_last_dose_taken_meanwhile_is_a_clear_message(
    staff_client, lab_a, clinic_a, uc_course, today
):
    lot = new_lot(clinic_a, "LAST", doses=1)
    other = factories.CourseFactory(
        patient=uc_course.patient, source="umbilical-cord", not_before=today
    )
    client = staff_client(lab_a)
    assert client.get(f"/courses/{uc_course.pk}/dose").status_code == 200
    lots.dose_reserve(course=other, lot=lot)  # someone else took it meanwhile
    response = client.post(f"/courses/{uc_course.pk}/dose", {"lot": lot.pk})
    assert response.status_code == 422
    assert "its last dose was taken" in response.content.decode()
    assert not uc_course.dose_allocations.exists()


def test_a_batch_failing_qc_through_the_lab_page(staff_client, lab_a, coordinator_a, course):
    batch = course.batches.get()
    client = staff_client(lab_a)
    empty = client.post(f"/batches/{batch.pk}/", {"fail-reason": ""})
    assert empty.status_code == 422
    client.post(
        f"/batches/{batch.pk}/",
        {"fail-failed_checks": ["viability", "purity"], "fail-reason": "42 % viable"},
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.failure_reason == "Purity, viability failed: 42 % viable"
    today_page = staff_client(coordinator_a).get("/").content.decode()
    assert "cells failed QC: Purity, viability failed: 42 % viable" in today_page
