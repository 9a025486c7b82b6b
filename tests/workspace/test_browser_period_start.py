"""Issue 3's done-when, in the browser: a CD1 reported by phone moves the tentative infusion."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import timeline
from scheduling.models import AppointmentStatus
from scheduling.selectors.courses import course_input
from scheduling.services import lots
from scheduling.services.enrolment import course_save
from tests import factories
from tests.workspace.conftest import assert_accessible, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_records_cd1_by_phone_and_the_infusion_moves(
    page, live_server, staff_client, coordinator, clinic
):
    today = timezone.localdate(timezone=clinic.zone)
    patient = factories.PatientFactory(clinic=clinic, first_name="Cora", last_name="Cole")
    patient.period_starts.create(date=today - dt.timedelta(days=24), reported_by="staff")
    course = factories.CourseFactory.build(
        patient=patient, clinic=clinic, source="umbilical-cord", not_before=today
    )
    course = course_save(course=course)
    # A UC course is given a dose of a released donor lot (no harvest, no expansion).
    lot = lots.lot_create(
        clinic=clinic, lot_number="UC-PS", donor_screening_ref="DS", doses=2,
        expires_on=today + dt.timedelta(days=120), storage_location="Tank 1",
    )  # fmt: skip
    checks = {"identity": True, "purity": True, "viability": True, "sterility": True}
    lots.lot_release(lot=lot, released_on=today, **checks)
    lots.dose_reserve(course=course, lot=lot)
    course = course_save(course=course)
    before = infusion(course)
    assert before.status == AppointmentStatus.TENTATIVE
    old_day = before.starts_at.astimezone(clinic.zone).date()

    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{patient.pk}/")
    assert_accessible(page)
    page.get_by_label("Period started (CD1)").fill(str(today))
    page.get_by_role("button", name="Record CD1").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Cycle day 1 on {today} recorded")

    expected = timeline.plan(course_input(course)).step("infusion-1")
    assert expected.cycle_start == today
    assert expected.cycle_day == clinic.preferred_infusion_day  # a 24-day cycle: CD6-10
    moved = infusion(course)
    new_day = moved.starts_at.astimezone(clinic.zone).date()
    assert new_day == expected.date == today + dt.timedelta(days=9)
    assert new_day != old_day
    assert moved.status == AppointmentStatus.TENTATIVE
    expect(page.get_by_test_id("timeline-infusion-1")).to_contain_text(f"{new_day:%-d %b %Y}")
    expect(page.get_by_test_id("cycle-history")).to_contain_text(f"{today:%-d %b %Y}")
