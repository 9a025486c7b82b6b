"""In Chromium: Today's printable day list (print media: rooms and visits, no navigation), the
patient page at a glance (course strip, Chart.js thickness chart) and the history in words.
Screenshots go to /work/screens/ when that folder exists (for the issue's closing note)."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.audit import acting_as
from scheduling.models import RescheduleRequest
from scheduling.services import recording
from scheduling.services.appointments import appointment_book
from tests import factories
from tests.planning.conftest import make_released_course
from tests.workspace.conftest import assert_accessible, book_at, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path("/work/screens")


def shoot(page, name: str, **options) -> None:
    if SCREENS.is_dir():
        page.screenshot(path=str(SCREENS / name), **options)


def visit_today(clinic, patient, room, clinician, hour, kind, step_key=""):
    today = timezone.localdate(timezone=clinic.zone)
    starts = dt.datetime.combine(today, dt.time(hour), tzinfo=clinic.zone)
    return factories.AppointmentFactory(
        patient=patient, clinic=clinic, room=room, clinician=clinician, kind=kind,
        step_key=step_key, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
        status="confirmed",
    )  # fmt: skip


def test_the_day_list_prints_one_section_per_room_without_navigation(
    page, live_server, staff_client, coordinator, clinic, rooms, physician
):
    alice = factories.PatientFactory(clinic=clinic, first_name="Alice", last_name="Archer")
    bea = factories.PatientFactory(clinic=clinic, first_name="Bea", last_name="Brook")
    visit_today(clinic, alice, rooms[0], physician, 9, "infusion", "infusion-1")
    visit_today(clinic, bea, rooms[1], physician, 11, "ultrasound", "ultrasound-1")
    late = visit_today(clinic, bea, rooms[0], physician, 16, "consult")
    RescheduleRequest.objects.create(
        clinic=clinic, patient=bea, appointment=late, appointment_version=late.version,
        note="Could we do 17:00 instead? I finish work at 16:30.",
    )  # fmt: skip

    tomorrow = timezone.localdate(timezone=clinic.zone) + dt.timedelta(days=1)
    for n, name in enumerate(("Cara", "Dina", "Edie", "Fern", "Gwen", "Hana", "Iris")):
        patient = factories.PatientFactory(clinic=clinic, first_name=name, last_name="Unconfirmed")
        starts = dt.datetime.combine(tomorrow, dt.time(9 + n), tzinfo=clinic.zone)
        factories.AppointmentFactory(
            patient=patient, clinic=clinic, room=rooms[n % 2], clinician=physician,
            kind="ultrasound", starts_at=starts, ends_at=starts + dt.timedelta(minutes=20),
        )  # fmt: skip

    login(page, live_server, staff_client, coordinator)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    unconfirmed = page.get_by_test_id("attention-unconfirmed")
    expect(unconfirmed.get_by_test_id("attention-count")).to_have_text("7")
    expect(unconfirmed.get_by_text("Iris Unconfirmed")).to_be_hidden()  # folded
    unconfirmed.get_by_text("Show 2 more").click()
    expect(unconfirmed.get_by_text("Iris Unconfirmed")).to_be_visible()
    requests = page.get_by_test_id("attention-reschedule")
    expect(requests).to_contain_text("Could we do 17:00 instead?")
    expect(requests.get_by_role("link", name="Resolve")).to_be_visible()
    expect(page.get_by_test_id("day-nav")).to_be_visible()
    assert_accessible(page)
    shoot(page, "today.png", full_page=True)

    page.emulate_media(media="print")
    sections = page.get_by_test_id("room-section")
    expect(sections).to_have_count(2)
    expect(sections.nth(0)).to_contain_text("Procedure room 1")
    expect(sections.nth(0)).to_contain_text("Alice Archer")
    expect(sections.nth(0)).to_contain_text(alice.mrn)
    expect(sections.nth(0)).to_contain_text("Infusion 1")
    expect(sections.nth(0)).to_contain_text("09:00")
    expect(sections.nth(0)).to_contain_text("Pat Doctor")
    expect(sections.nth(1)).to_contain_text("Procedure room 2")
    expect(sections.nth(1)).to_contain_text("The ultrasound after infusion 1")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("day-nav")).to_be_hidden()
    expect(page.get_by_test_id("attention")).to_be_hidden()
    expect(page.get_by_test_id("day-list")).to_contain_text("times in Europe/London")
    break_before = sections.nth(1).evaluate("e => getComputedStyle(e).breakBefore")
    assert break_before == "page"
    shoot(page, "today-print.png", full_page=True)

    # Back on screen: the next day by its link, then a day by the date picker.
    page.emulate_media(media="screen")
    page.get_by_test_id("next-day").click()
    expect(page.get_by_test_id("back-to-today")).to_be_visible()
    expect(page.get_by_test_id("day-list")).not_to_contain_text("Alice Archer")
    today = timezone.localdate(timezone=clinic.zone)
    page.get_by_label("Go to day").fill(str(today))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("today-heading")).to_contain_text("Today,")
    expect(page.get_by_test_id("day-list")).to_contain_text("Alice Archer")


def test_patient_page_at_a_glance_and_the_history_in_words(
    page, live_server, staff_client, coordinator, clinic, rooms, physician, planned_course, admin_a
):
    sara = coordinator
    sara.first_name, sara.last_name = "Sara", "Patel"
    sara.save()
    appointment = infusion(planned_course)
    day = appointment.starts_at.astimezone(clinic.zone).date()
    with acting_as(sara):
        appointment_book(
            appointment=appointment,
            starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=clinic.zone),
            room=rooms[0],
            clinician=physician,
        )
    today = timezone.localdate(timezone=clinic.zone)
    for days_ago, mm in ((20, "4.9"), (6, "5.6")):
        planned_course.measurements.create(
            measured_on=today - dt.timedelta(days=days_ago), thickness_mm=Decimal(mm)
        )

    login(page, live_server, staff_client, sara)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/patients/{planned_course.patient_id}/")

    strip = page.get_by_test_id("course-strip")
    expect(strip).to_be_visible()
    expect(strip.get_by_test_id("strip-today")).to_have_count(1)
    assert strip.get_by_test_id("strip-cycle").count() >= 4
    assert strip.get_by_test_id("strip-visit").count() >= 4
    expect(strip.get_by_test_id("strip-summary").first).to_contain_text("menstrual CD1 to 5")

    canvas = page.get_by_test_id("thickness-chart").locator("canvas")
    expect(canvas).to_have_attribute("data-drawn", "yes")
    expect(canvas).to_have_attribute("data-points", "2")
    expect(canvas).to_have_attribute("data-threshold", "7")
    expect(canvas).to_have_attribute("data-infusions", "1")
    expect(
        page.get_by_test_id("thickness-results").get_by_test_id("thickness-point")
    ).to_have_count(2)

    words = f"Infusion 1 booked for {day:%a} {day.day} {day:%b %Y} 10:00 in Procedure room 1"
    entry = page.get_by_test_id("history-entry").filter(has_text=words)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("by Sara Patel (coordinator)")
    expect(page.get_by_test_id("history")).not_to_contain_text("version")
    creation = page.get_by_test_id("history-entry").filter(has_text="Course started")
    creation.locator("summary").click()
    expect(creation).to_contain_text("Infusion 1 planned for")
    assert_accessible(page)

    figure = page.get_by_test_id("course").first
    shoot(page, "patient-page.png", full_page=True)
    if SCREENS.is_dir():
        figure.screenshot(path=str(SCREENS / "patient-course-glance.png"))

    # The clinic admin's audit log reads the same way, with the patient named.
    login(page, live_server, staff_client, admin_a)
    page.goto("/audit/")
    logged = page.get_by_test_id("history-entry").filter(has_text=words)
    expect(logged).to_have_count(1)
    expect(logged).to_contain_text(f"Alice Archer ({planned_course.patient.mrn})")
    expect(page.get_by_test_id("history")).not_to_contain_text("UTC")
    assert_accessible(page)
    shoot(page, "audit-log.png", full_page=True)


def test_a_course_after_its_response_at_a_glance(
    page, live_server, staff_client, coordinator, physician, clinic, rooms
):
    """Infusion on Wed 11 Mar 2026, an observation on 8 Apr, the response 7.4 mm on Fri 10 Apr
    (it decides: responded), the transfer window planned, a follow-up booked and the patient
    asking to move it. Seen on Wed 15 Apr 2026."""
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        course = make_released_course(clinic, first_name="Dana", last_name="Doyle")
    with time_machine.travel(dt.datetime(2026, 3, 11, 8, tzinfo=dt.UTC), tick=True) as clock:
        with acting_as(coordinator):
            book_at(infusion(course), day=dt.date(2026, 3, 11), hour=9, room=rooms[0],
                    clinician=physician)  # fmt: skip
        clock.move_to(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC))
        with acting_as(physician):
            recording.appointment_mark_done(appointment=infusion(course))
        ultrasound = course.appointments.get(step_key="ultrasound-1", status="tentative")
        with acting_as(coordinator):
            ultrasound = book_at(ultrasound, day=dt.date(2026, 4, 10), hour=9, room=rooms[1],
                                 clinician=physician)  # fmt: skip
        clock.move_to(dt.datetime(2026, 4, 8, 15, tzinfo=dt.UTC))
        with acting_as(physician):
            recording.thickness_record(
                course=course, measured_on=dt.date(2026, 4, 8), thickness_mm=Decimal("6.1")
            )
        clock.move_to(dt.datetime(2026, 4, 10, 15, tzinfo=dt.UTC))
        with acting_as(physician):
            recording.thickness_record(
                course=course, measured_on=dt.date(2026, 4, 10), thickness_mm=Decimal("7.4"),
                appointment=ultrasound,
            )  # fmt: skip
        follow_up = course.appointments.get(step_key="follow-up-3", status="tentative")
        follow_day = follow_up.starts_at.astimezone(clinic.zone).date()
        with acting_as(coordinator):
            follow_up = book_at(follow_up, day=follow_day, hour=11, room=rooms[0],
                                clinician=physician)  # fmt: skip
        with acting_as("patient link"):
            RescheduleRequest.objects.create(
                clinic=clinic, patient=course.patient, appointment=follow_up,
                appointment_version=follow_up.version,
                note="I'll be travelling that week; any day the week after works.",
            )  # fmt: skip

        clock.move_to(dt.datetime(2026, 4, 15, 9, tzinfo=dt.UTC))
        login(page, live_server, staff_client, coordinator)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/patients/{course.patient_id}/")

        canvas = page.get_by_test_id("thickness-chart").locator("canvas")
        expect(canvas).to_have_attribute("data-drawn", "yes")
        expect(canvas).to_have_attribute("data-points", "2")
        expect(canvas).to_have_attribute("data-decided", "1")
        results = page.get_by_test_id("thickness-results")
        expect(results.locator('tr[data-role="response"]')).to_contain_text("decided")
        strip = page.get_by_test_id("course-strip")
        expect(strip.get_by_test_id("strip-today")).to_have_count(1)
        summaries = strip.get_by_test_id("strip-summary")
        expect(
            summaries.filter(has_text="Infusion 1, Wed 11 Mar 2026 (done) on CD10")
        ).to_have_count(1)
        expect(summaries.filter(has_text="Transfer window CD1")).not_to_have_count(0)
        requests = page.get_by_test_id("reschedule-requests")
        expect(requests).to_contain_text("any day the week after works")
        history = page.get_by_test_id("history")
        expect(history).to_contain_text(
            "Thickness 7.4 mm recorded for the ultrasound after infusion 1 on Fri 10 Apr 2026"
            " by Pat Doctor (physician)"
        )
        expect(history).to_contain_text("Infusion 1 recorded as done by Pat Doctor (physician)")
        assert_accessible(page)
        shoot(page, "patient-page-responded.png", full_page=True)
        if SCREENS.is_dir():
            page.get_by_test_id("course").first.screenshot(
                path=str(SCREENS / "patient-course-glance-responded.png")
            )

        # On a phone the strip still fits its box: every cycle's days in view.
        page.set_viewport_size({"width": 390, "height": 844})
        fits = strip.evaluate("e => e.scrollWidth <= e.clientWidth")
        assert fits, "the strip overflows at 390 px"
        if SCREENS.is_dir():
            strip.screenshot(path=str(SCREENS / "patient-strip-390px.png"))
        page.set_viewport_size({"width": 1280, "height": 900})

        # Resolve from the page: what was done goes into the history.
        requests.get_by_label("What was done").fill("Called her: moved to the week after")
        requests.get_by_role("button", name="Resolve").click()
        expect(page.get_by_role("alert").first).to_contain_text("request resolved")
        expect(page.get_by_test_id("reschedule-requests")).to_have_count(0)
        expect(page.get_by_test_id("history")).to_contain_text(
            "Reschedule request resolved: Called her: moved to the week after by"
        )
