"""Issue 14 in the browser: the calendar follows the clinic's conventions and shows the cycle.

A browser set to another locale and zone (en-US, New York) still sees the clinic's: 24-hour
times, Monday first, "Tue 1 Dec 2026" days, times in Europe/London; each visit says the
patient's cycle day and phase.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus
from tests import factories
from tests.workspace.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def us_page(browser, live_server):
    """A browser whose own conventions differ from the clinic's."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", timezone_id="America/New_York"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_week_view_follows_the_clinic_and_shows_the_cycle(
    us_page, live_server, staff_client, coordinator, clinic, rooms, physician
):
    page = us_page
    day = timezone.localdate(timezone=clinic.zone)
    monday = day - dt.timedelta(days=day.weekday())
    patient = factories.PatientFactory(clinic=clinic, first_name="Alice", last_name="Archer")
    cd1 = day - dt.timedelta(days=9)  # a regular 28-day pattern: the visit is on CD10
    for start in (cd1 - dt.timedelta(days=28), cd1):
        patient.period_starts.create(date=start, reported_by="staff")
    starts_at = dt.datetime.combine(day, dt.time(14), tzinfo=clinic.zone)
    visit = factories.AppointmentFactory(
        patient=patient,
        kind="ultrasound",
        status=AppointmentStatus.BOOKED,
        room=rooms[0],
        clinician=physician,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
    )

    login(page, live_server, staff_client, coordinator)
    page.goto(f"/calendar/?view=timeGridWeek&date={day}")
    expect(page.get_by_test_id("time-zone")).to_have_text("Times in Europe/London")

    # Monday first, days as "Mon 30 Nov".
    headers = page.locator("th.fc-col-header-cell")
    expect(headers).to_have_count(7)
    expect(headers.first).to_have_attribute("data-date", str(monday))
    expect(headers.first).to_have_text(f"{monday:%a %-d %b}")
    expect(headers.last).to_have_text(f"{monday + dt.timedelta(days=6):%a %-d %b}")

    # 24-hour clock on the time axis and the event.
    labels = page.locator("td.fc-timegrid-slot-label[data-time='14:00:00']")
    expect(labels).to_have_text("14:00")
    axis = " ".join(page.locator("td.fc-timegrid-slot-label").all_text_contents())
    assert "17:00" in axis and not re.search(r"\b(am|pm)\b", axis, re.IGNORECASE)

    event = page.get_by_test_id(f"event-{visit.pk}")
    expect(event).to_contain_text("14:00")
    expect(event).to_contain_text("Alice Archer · CD10 · proliferative")
    expect(event).not_to_contain_text(re.compile(r"\d(am|pm|a|p)\b"))
    expect(event).to_have_attribute("aria-label", re.compile(r"CD10 · proliferative"))
    assert_accessible(page)

    # The list view says it too, under a "Tue 1 Dec 2026" day heading.
    page.goto(f"/calendar/?view=listWeek&date={day}")
    heading = page.locator(f"tr.fc-list-day[data-date='{day}']")
    expect(heading).to_have_text(f"{day:%a %-d %b %Y}")
    row = page.get_by_test_id(f"event-{visit.pk}")
    expect(row).to_contain_text("14:00")
    expect(row).to_contain_text("CD10 · proliferative")
    assert_accessible(page)

    # The day view's title too.
    page.goto(f"/calendar/?view=timeGridDay&date={day}")
    expect(page.locator(".fc-toolbar-title")).to_have_text(f"{day:%a %-d %b %Y}")
