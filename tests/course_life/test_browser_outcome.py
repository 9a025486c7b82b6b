"""Transfer, then a positive β-hCG, in real headless Chromium: the course is pregnant and no
"has your period started?" request is left pending."""

# ruff: noqa: F811 (the workspace fixtures, imported, are parameters here)

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import CourseStatus, Reminder, ReminderKind, ReminderStatus
from tests.course_life.browser_steps import record_transfer
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


def test_transfer_then_positive_test_makes_the_course_pregnant(
    page,
    live_server,
    staff_client,
    coordinator,
    physician,
    planned_course,
):
    patient = planned_course.patient
    requests = Reminder.objects.filter(
        patient=patient, kind=ReminderKind.CD1_REQUEST, status=ReminderStatus.PENDING
    )
    assert requests.exists()
    today = str(timezone.localdate(timezone=planned_course.clinic.zone))

    login(page, live_server, staff_client, coordinator)
    record_transfer(page, patient, today)
    expect(page.get_by_test_id("course")).to_contain_text("Transferred")
    expect(page.get_by_test_id("record-outcome")).to_have_count(0)  # physicians only

    login(page, live_server, staff_client, physician)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("record-outcome").click()
    page.get_by_label("What happened").select_option("pregnancy-test")
    page.locator("#id_on").fill(today)
    page.get_by_label("β-hCG (IU/L)").fill("240")
    page.get_by_label("Test positive").select_option("yes")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_test_id("outcome-pregnancy-test")).to_contain_text("positive")
    expect(page.get_by_test_id("course")).to_contain_text("Pregnant")
    assert_accessible(page)

    planned_course.refresh_from_db()
    assert planned_course.status == CourseStatus.PREGNANT
    assert not requests.exists()
