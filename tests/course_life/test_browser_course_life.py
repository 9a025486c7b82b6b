"""The course's life in real headless Chromium: (a) transfer, then a positive β-hCG recorded by
a physician: no "has your period started?" request is left and the follow-ups show as held;
(b) an infusion cannot be booked without consent, the page says what is missing, and once the
signed form is recorded the booking goes through.

Set SCREENS_DIR to keep screenshots of the pages."""

# ruff: noqa: F811 (the workspace fixtures, imported, are parameters here)

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus, Reminder, ReminderKind, ReminderStatus
from tests.course_life.browser_steps import record_transfer
from tests.workspace.conftest import (  # noqa: F401 (fixtures)
    assert_accessible,
    clinic,
    coordinator,
    infusion,
    login,
    physician,
    planned_course,
    rooms,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n%signed consent form\n%%EOF\n"


@pytest.fixture(autouse=True)
def _own_private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _patient_pages_under_load(page):
    page.set_default_navigation_timeout(30_000)  # the patient page plans every course


def screenshot(page, name: str) -> None:
    folder = os.environ.get("SCREENS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_a_positive_test_leaves_no_period_request_and_holds_the_follow_ups(
    page, live_server, staff_client, coordinator, physician, planned_course
):
    patient = planned_course.patient
    requests = Reminder.objects.filter(
        patient=patient, kind=ReminderKind.CD1_REQUEST, status=ReminderStatus.PENDING
    )
    assert requests.exists()
    assert planned_course.appointments.filter(kind="follow-up", status="tentative").exists()
    today = str(timezone.localdate(timezone=planned_course.clinic.zone))

    login(page, live_server, staff_client, coordinator)
    record_transfer(page, patient, today)
    expect(page.get_by_test_id("held-follow-ups")).to_have_count(0)

    login(page, live_server, staff_client, physician)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("record-outcome").click()
    page.get_by_label("What happened").select_option("pregnancy-test")
    page.locator("#id_on").fill(today)
    page.get_by_label("β-hCG (IU/L)").fill("260")
    page.get_by_label("Test positive").select_option("yes")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_test_id("outcome-pregnancy-test")).to_contain_text("positive")
    held = page.get_by_test_id("held-follow-ups")
    expect(held).to_contain_text("Until the pregnancy ends")
    expect(held).to_contain_text("The 3-month follow-up")
    expect(held).to_contain_text("The 12-month follow-up")
    timeline = page.get_by_test_id("course-timeline")
    expect(timeline.locator('[data-testid^="timeline-follow-up"]')).to_have_count(0)
    period_requests = page.get_by_test_id("reminders").locator("li", has_text="report your period")
    expect(period_requests.first).to_be_visible()
    expect(period_requests.filter(has_text="Pending")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "course-life-pregnant.png")

    assert not requests.exists()
    assert not planned_course.appointments.filter(
        kind="follow-up", status__in=("tentative", "booked")
    ).exists()


def test_an_infusion_is_booked_only_after_consent_is_recorded(
    page, live_server, staff_client, coordinator, physician, planned_course, rooms
):
    planned_course.consents.all().delete()
    visit = infusion(planned_course)
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{planned_course.patient_id}/")
    expect(page.get_by_test_id("consent-missing")).to_contain_text("No consent in force")

    page.get_by_test_id(f"book-{visit.step_key}").click()
    missing = page.locator('[data-testid="consent-missing"]')
    expect(missing).to_have_text(
        "No consent is recorded for this course: record the signed consent form (version, "
        "date, witness) before booking the infusion. Record consent"
    )
    assert_accessible(page)
    screenshot(page, "booking-without-consent.png")

    missing.get_by_role("link", name="Record consent").click()
    page.get_by_label("Consent form version").fill("2026-02")
    page.get_by_label("Signed on").fill(
        str(timezone.localdate(timezone=planned_course.clinic.zone))
    )
    page.get_by_label("Witnessed by").fill("Nurse Wu")
    page.get_by_label("Signed form (optional)").set_input_files(
        {"name": "signed.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Record consent").click()

    # back on the booking page: nothing missing, free slots offered
    expect(page.get_by_test_id("consent-missing")).to_have_count(0)
    page.get_by_label("Free slot").select_option(index=0)
    page.get_by_label("Room").select_option(label=rooms[0].name)
    page.get_by_label("Clinician").select_option(label=str(physician))
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_test_id(f"timeline-{visit.step_key}")).to_have_attribute(
        "data-status", "booked"
    )
    consent = page.get_by_test_id("course-consent")
    expect(consent).to_contain_text("Form 2026-02 signed")
    expect(consent).to_contain_text("witnessed by Nurse Wu")
    expect(consent.get_by_test_id("consent-document")).to_be_visible()
    screenshot(page, "patient-consent.png")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    assert planned_course.consents.get().document.read() == PDF
