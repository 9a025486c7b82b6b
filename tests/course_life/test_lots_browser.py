"""Donor lots and lab failures in real headless Chromium: the lab enters and releases a lot, a
coordinator gives a UC course a dose and its infusion lands in the first window after the thaw
lead time; a batch failing QC re-plans a harvest and shows in needs-attention."""

# ruff: noqa: F811 (the workspace fixtures, imported, are parameters here)

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AllocationStatus, DonorLot, LotStatus
from scheduling.services import recording
from tests import factories
from tests.workspace.conftest import (  # noqa: F401 (fixtures)
    assert_accessible,
    clinic,
    coordinator,
    login,
    physician,
    planned_course,
    rooms,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lab(clinic):
    return factories.MembershipFactory(
        clinic=clinic, role="lab", user=factories.UserFactory(username="lena")
    ).user


@pytest.fixture
def uc_course(clinic):
    """Regular 28-day cycles, today cycle day 11 (ovulation CD14), every day open."""
    from scheduling.services.planning import course_replan

    today = timezone.localdate(timezone=clinic.zone)
    patient = factories.PatientFactory(clinic=clinic, first_name="Uma", last_name="Ito")
    for days in (38, 10):
        patient.period_starts.create(date=today - dt.timedelta(days=days), reported_by="staff")
    course = factories.CourseFactory(patient=patient, source="umbilical-cord", not_before=today)
    course_replan(course=course, notify=False)
    return course


def test_a_uc_course_takes_a_dose_and_its_infusion_follows_the_lead_time(
    page, live_server, staff_client, lab, coordinator, uc_course
):
    today = timezone.localdate(timezone=uc_course.clinic.zone)
    expiry = today + dt.timedelta(days=200)
    login(page, live_server, staff_client, coordinator)
    page.goto("/")
    expect(page.get_by_test_id("attention-donor-lot")).to_contain_text("No released donor lot")

    login(page, live_server, staff_client, lab)
    page.goto("/lots/")
    page.get_by_test_id("new-lot").click()
    page.get_by_label("Lot number").fill("UC-2026-01")
    page.get_by_label("Donor screening reference").fill("DS-4411")
    page.get_by_label("Doses in the lot").fill("4")
    page.get_by_label("Expires on").fill(str(expiry))
    page.get_by_label("Storage location").fill("LN2 tank 2, rack C")
    page.get_by_role("button", name="Enter lot").click()
    expect(page.get_by_test_id("lot-status")).to_have_text("In quarantine (QC pending)")
    form = page.get_by_test_id("lot-release-form")
    form.get_by_label("Released on").fill(str(today))
    for check in ("Identity", "Purity", "Viability"):
        form.get_by_label(f"{check} passed").check()
    form.get_by_role("button", name="Release lot").click()
    expect(page.get_by_test_id("lot-release-form")).to_contain_text("not: sterility")
    form = page.get_by_test_id("lot-release-form")
    form.get_by_label("Released on").fill(str(today))
    for check in ("Identity", "Purity", "Viability", "Sterility"):
        form.get_by_label(f"{check} passed").check()
    form.get_by_role("button", name="Release lot").click()
    expect(page.get_by_test_id("lot-status")).to_have_text("Released (QC passed)")
    assert_accessible(page)

    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{uc_course.patient_id}/")
    expect(page.get_by_test_id("dose-waiting")).to_be_visible()
    page.get_by_test_id("allocate-dose").click()
    ready = today + dt.timedelta(days=2)  # CD13: still in this cycle's proliferative window
    expect(page.get_by_test_id("planned-day")).to_contain_text(
        f"{ready:%a} {ready.day} {ready:%b %Y}"
    )
    page.get_by_label("Donor lot").select_option(
        label=f"UC-2026-01: 4 dose(s) available, expires {expiry:%a} {expiry.day} "
        f"{expiry:%b %Y}, LN2 tank 2, rack C"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Reserve a dose").click()
    expect(page.get_by_test_id("dose-reserved")).to_contain_text("UC-2026-01")
    infusion = page.get_by_test_id("timeline-infusion-1")
    expect(infusion).to_contain_text(f"{ready:%a} {ready.day} {ready:%b %Y}")
    page.goto("/")
    expect(page.get_by_test_id("attention-donor-lot")).to_have_attribute(
        "class", "attention-group is-empty"
    )

    lot = DonorLot.objects.get(lot_number="UC-2026-01")
    assert (lot.status, lot.doses_reserved, lot.doses_available) == (LotStatus.RELEASED, 1, 3)
    assert uc_course.dose_allocations.get().status == AllocationStatus.RESERVED
    visit = uc_course.appointments.get(step_key="infusion-1")
    assert visit.starts_at.astimezone(uc_course.clinic.zone).date() == ready


def test_a_batch_failing_qc_replans_a_harvest_and_needs_attention(
    page, live_server, staff_client, lab, coordinator, planned_course
):
    today = timezone.localdate(timezone=planned_course.clinic.zone)
    batch = recording.harvest_record_done(course=planned_course, on=today, notify=False)
    assert not planned_course.appointments.filter(step_key="harvest", status="tentative").exists()

    login(page, live_server, staff_client, lab)
    page.goto(f"/batches/{batch.pk}/")
    form = page.get_by_test_id("batch-fail-form")
    form.get_by_role("button", name="Record as failed").click()
    expect(page.get_by_test_id("batch-fail-form")).to_contain_text("This field is required")
    form = page.get_by_test_id("batch-fail-form")
    form.get_by_label("Sterility").check()
    form.get_by_label("What the lab found").fill("Mycoplasma PCR positive")
    form.get_by_role("button", name="Record as failed").click()
    expect(page.get_by_test_id("batch-failure")).to_have_text(
        "Sterility failed: Mycoplasma PCR positive"
    )

    login(page, live_server, staff_client, coordinator)
    page.goto("/")
    expect(page.get_by_test_id("attention-cells-failed")).to_contain_text(
        "cells failed QC: Sterility failed: Mycoplasma PCR positive"
    )
    assert_accessible(page)
    page.goto(f"/patients/{planned_course.patient_id}/")
    expect(page.get_by_test_id("timeline-harvest")).to_have_attribute("data-status", "tentative")
