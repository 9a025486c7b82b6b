"""The coordinator's main journeys in real headless Chromium."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus, Course, Patient
from tests import factories
from tests.workspace.conftest import assert_accessible, day_with, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_patient_and_course_with_plan_preview(
    page, live_server, staff_client, coordinator, clinic, rooms, physician
):
    login(page, live_server, staff_client, coordinator)
    page.goto("/patients/")
    assert_accessible(page)
    page.get_by_test_id("new-patient").click()
    page.get_by_label("MRN").fill("RF-2001")
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Doyle")
    page.get_by_label("Email").fill("dana@patients.example")
    page.get_by_label("Diagnosis").select_option("thin-endometrium")
    page.get_by_role("button", name="Save patient").click()
    expect(page.get_by_role("heading", name=re.compile("Dana Doyle"))).to_be_visible()
    assert_accessible(page)

    page.get_by_test_id("new-course").click()
    page.get_by_label("Cell source").select_option("bone-marrow")
    page.get_by_label("Earliest first visit").fill(str(timezone.localdate()))
    page.get_by_label("Last period start (cycle day 1)").fill(
        str(timezone.localdate() - dt.timedelta(days=5))
    )
    page.get_by_test_id("preview-plan").click()
    preview = page.get_by_test_id("plan-steps")
    expect(preview.locator('tr[data-step="infusion-1"]')).to_be_visible()
    assert not Course.objects.exists()
    assert_accessible(page)

    page.get_by_role("button", name="Save course").click()
    expect(page.get_by_test_id("course-timeline")).to_contain_text("Infusion")
    patient = Patient.objects.get(mrn="RF-2001")
    assert patient.courses.get().appointments.filter(step_key="infusion-1").exists()


def _month_showing(*days: dt.date) -> dt.date:
    """A month whose 6-week grid (weeks from Monday) shows every day."""
    for first in (days[0].replace(day=1), (days[0].replace(day=28) + dt.timedelta(days=4))):
        first = first.replace(day=1)
        grid_start = first - dt.timedelta(days=first.weekday())
        if all(grid_start <= day < grid_start + dt.timedelta(days=42) for day in days):
            return first
    first = days[0].replace(day=1) - dt.timedelta(days=1)
    return first.replace(day=1)


def _drag(page, event_id: int, day: dt.date) -> None:
    source = page.get_by_test_id(f"event-{event_id}")
    target = page.locator(f'td.fc-daygrid-day[data-date="{day}"]')
    source.scroll_into_view_if_needed()
    box, goal = source.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 15, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=15)
    page.mouse.up()


def test_book_drag_refused_then_saved_filter_and_chart(
    page, live_server, staff_client, coordinator, physician, planned_course, rooms, clinic
):
    login(page, live_server, staff_client, coordinator)
    appointment = infusion(planned_course)
    day = appointment.starts_at.astimezone(clinic.zone).date()

    # Book the tentative infusion into a free slot.
    page.goto(f"/appointments/{appointment.pk}/book")
    assert_accessible(page)
    page.get_by_label("Free slot").select_option(index=0)
    page.get_by_label("Room").select_option(label=rooms[0].name)
    page.get_by_label("Clinician").select_option(label=str(physician))
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_test_id("timeline-infusion-1")).to_have_attribute("data-status", "booked")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.room == rooms[0] and appointment.clinician == physician
    version = appointment.version
    day = appointment.starts_at.astimezone(clinic.zone).date()  # the first free slot's day

    luteal = day_with(planned_course, allowed=False, phase="luteal", near=day)
    proliferative = day_with(planned_course, allowed=True, near=day)
    other = factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic, first_name="Olga", last_name="Other"),
        room=rooms[1],
        starts_at=dt.datetime.combine(day, dt.time(14), tzinfo=clinic.zone),
        ends_at=dt.datetime.combine(day, dt.time(14, 30), tzinfo=clinic.zone),
    )
    month = _month_showing(day, luteal, proliferative)
    page.set_viewport_size({"width": 1280, "height": 1600})  # the whole month, no scrolling
    page.goto(f"/calendar/?view=dayGridMonth&date={month}")
    event = page.get_by_test_id(f"event-{appointment.pk}")
    expect(event).to_be_visible()
    assert_accessible(page)

    # Drag into the luteal phase: refused with the engine's reason, the event goes back.
    _drag(page, appointment.pk, luteal)
    refused = page.get_by_test_id("move-refused")
    expect(refused).to_contain_text("luteal")
    expect(refused).to_contain_text("proliferative phase")
    appointment.refresh_from_db()
    assert appointment.starts_at.astimezone(clinic.zone).date() == day
    assert appointment.version == version
    expect(
        page.locator(f'td[data-date="{day}"]').get_by_test_id(f"event-{appointment.pk}")
    ).to_be_visible()

    # Drag to another proliferative day: saved.
    _drag(page, appointment.pk, proliferative)
    expect(page.get_by_test_id("move-saved")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.starts_at.astimezone(clinic.zone).date() == proliferative
    assert appointment.version == version + 1

    # Filter by room: only room 2's visit remains.
    expect(page.get_by_test_id(f"event-{other.pk}")).to_be_visible()
    page.get_by_test_id("filter-room").select_option(label=rooms[1].name)
    expect(page.get_by_test_id(f"event-{appointment.pk}")).to_have_count(0)
    expect(page.get_by_test_id(f"event-{other.pk}")).to_be_visible()


def test_physician_records_a_thickness_and_sees_the_chart(
    page, live_server, staff_client, physician, planned_course
):
    login(page, live_server, staff_client, physician)
    page.goto(f"/patients/{planned_course.patient_id}/")
    page.get_by_test_id("record-thickness").click()
    page.get_by_label("Measured on").fill(str(timezone.localdate()))
    page.get_by_label("Endometrial thickness (mm)").fill("6.4")
    page.get_by_role("button", name="Record result").click()
    chart = page.get_by_test_id("thickness-chart")
    expect(chart).to_be_visible()
    # Drawn by Chart.js (static/js/thickness_chart.js): one result, the threshold line.
    expect(chart.locator("canvas")).to_have_attribute("data-points", "1")
    expect(chart.locator("canvas")).to_have_attribute("data-threshold", "7")
    expect(chart).to_contain_text("7.0 mm threshold")
    expect(
        page.get_by_test_id("thickness-results").get_by_test_id("thickness-point")
    ).to_have_count(1)
    assert planned_course.measurements.get().thickness_mm == Decimal("6.4")
    assert_accessible(page)
