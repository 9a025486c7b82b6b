"""Issue 14 in the browser: booking without traps. The booking page shows the step's allowed
days with the planned day first and chosen, its free times by room and clinician, and when a
day is full the next days that have room."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus
from tests import factories
from tests.factories import consent_for
from tests.workspace.conftest import assert_accessible, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_full_day_offers_the_next_free_day(
    page, live_server, staff_client, coordinator, planned_course, clinic, rooms, physician
):
    consent_for(planned_course)
    visit = infusion(planned_course)
    planned = visit.starts_at.astimezone(clinic.zone).date()
    # The clinic's one physician is busy all day on the planned day: no time is free.
    busy = dt.datetime.combine(planned, dt.time(0), tzinfo=clinic.zone)
    factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic),
        clinician=physician,
        status=AppointmentStatus.BOOKED,
        starts_at=busy,
        ends_at=busy + dt.timedelta(hours=23, minutes=59),
    )
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/appointments/{visit.pk}/book")

    days = page.get_by_test_id("booking-days").get_by_role("link")
    expect(days.first).to_have_text(re.compile(rf"{planned:%a %-d %b %Y} · planned · full"))
    expect(days.first).to_have_attribute("aria-current", "true")
    full = page.get_by_test_id("day-full")
    expect(full).to_contain_text(f"{planned:%a %-d %b %Y} is full")
    offered = page.get_by_test_id("next-free-day")
    expect(offered.first).to_be_visible()
    expect(page.get_by_test_id("booking-form")).to_have_count(0)
    assert_accessible(page)

    next_day = dt.date.fromisoformat(offered.first.get_attribute("href").split("=")[1])
    assert next_day > planned
    offered.first.click()
    expect(page.get_by_test_id(f"booking-day-{next_day}")).to_have_attribute("aria-current", "true")
    table = page.get_by_test_id("free-by-room-and-clinician")
    expect(table).to_contain_text(rooms[0].name)
    expect(table).to_contain_text(str(physician))
    page.get_by_label("Free slot").select_option(index=0)
    page.get_by_label("Room").select_option(label=rooms[1].name)
    page.get_by_label("Clinician").select_option(label=str(physician))
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        f"Infusion booked on {next_day:%a %-d %b %Y} at"
    )
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    assert visit.starts_at.astimezone(clinic.zone).date() == next_day
    assert visit.room == rooms[1]
