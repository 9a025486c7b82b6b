"""Issue 11 in the browser: the plan and the bookings always agree.

One test per numbered problem of the issue, each driving the real pages in headless Chromium
as the coordinator, admin or physician would, and asserting what that person sees (and that
the database agrees). The engine-level tests of the same problems are in
tests/planning/test_bookings.py.
"""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus, ReplanRun
from scheduling.services import recording
from scheduling.services.enrolment import course_save
from tests import factories
from tests.planning.conftest import make_released_course
from tests.services import wait_until
from tests.workspace.conftest import assert_accessible, book_at, day_with, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Helpers ---------------------------------------------------------------------------------------


def live(course, key):
    return course.appointments.exclude(
        status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    ).get(step_key=key)


def booked_state(appointment):
    appointment.refresh_from_db()
    return (
        appointment.status,
        appointment.starts_at,
        appointment.ends_at,
        appointment.room_id,
        appointment.clinician_id,
    )


def local(appointment) -> dt.datetime:
    return appointment.starts_at.astimezone(appointment.clinic.zone)


def shown_when(appointment) -> str:
    """How the patient page's timeline shows a booked visit's day and time."""
    return f"{local(appointment):%a %-d %b %Y %H:%M}"


def today_in(clinic) -> dt.date:
    return timezone.localdate(timezone=clinic.zone)


def record_cd1(page, patient, day: dt.date) -> None:
    """The coordinator records a period start reported by phone, on the patient page."""
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_label("Period started (CD1)").fill(str(day))
    page.get_by_role("button", name="Record CD1").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Cycle day 1 on {day} recorded")


def expect_booking_kept(page, appointment, *, room, clinician) -> None:
    """The patient page shows the booked visit with its day, time, room and clinician."""
    item = page.get_by_test_id(f"timeline-{appointment.step_key}")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-status", appointment.status)
    expect(item).to_contain_text(shown_when(appointment))
    expect(item).to_contain_text(room.name)
    expect(item).to_contain_text(str(clinician))


def post_move(page, appointment_pk: int, start: str) -> dict:
    """What the calendar's drag-and-drop sends, sent by the page itself (session and CSRF)."""
    return page.evaluate(
        """async ([pk, start]) => {
            const config = document.getElementById("calendar").dataset;
            const response = await fetch(config.moveUrl.replace("/0/", "/" + pk + "/"), {
                method: "POST",
                credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": config.csrfToken},
                body: JSON.stringify({start: start}),
            });
            return {status: response.status, body: await response.json()};
        }""",
        [appointment_pk, start],
    )


def month_showing(*days: dt.date) -> dt.date:
    """The first of a month whose 6-week grid (weeks from Monday) shows every day."""
    for first in (days[0].replace(day=1), (days[0].replace(day=28) + dt.timedelta(days=4))):
        first = first.replace(day=1)
        grid_start = first - dt.timedelta(days=first.weekday())
        if all(grid_start <= day < grid_start + dt.timedelta(days=42) for day in days):
            return first
    return (days[0].replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def drag(page, event_id: int, day: dt.date) -> None:
    source = page.get_by_test_id(f"event-{event_id}")
    target = page.locator(f'td.fc-daygrid-day[data-date="{day}"]')
    source.scroll_into_view_if_needed()
    box, goal = source.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 15, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=15)
    page.mouse.up()


# 1. A booked visit keeps its booking whatever else happens to the course -----------------------


def test_a_booked_visit_keeps_its_booking_after_unrelated_actions(
    page, live_server, staff_client, coordinator, physician, planned_course, rooms, clinic
):
    suggested = infusion(planned_course)
    suggested_day = local(suggested).date()
    # The clinic chose another allowed day than the engine's suggestion, at 10:00, in room 2:
    # a re-plan that "follows the plan" would move it back to the suggestion.
    chosen = day_with(planned_course, allowed=True, near=suggested_day)
    booked = book_at(suggested, day=chosen, hour=10, room=rooms[1], clinician=physician)
    assert booked.status == AppointmentStatus.BOOKED
    assert local(booked).date() == chosen != suggested_day
    before = booked_state(booked)

    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{planned_course.patient_id}/")
    expect_booking_kept(page, booked, room=rooms[1], clinician=physician)

    # Cancel the tentative 3-month follow-up: a confirmation page, a reason, what happens next.
    page.get_by_test_id("timeline-follow-up-3").get_by_role("link", name="Cancel…").click()
    expect(page.get_by_role("heading", name="Cancel follow-up on")).to_be_visible()
    page.get_by_label("Reason").fill("Patient lives abroad by then")
    expect(page.get_by_label("Plan this step again")).to_be_checked()
    page.get_by_label("Drop this step from the course").check()
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_role("alert").first).to_contain_text("the step is dropped from the course")
    expect_booking_kept(page, booked, room=rooms[1], clinician=physician)

    # Record a period start reported by phone: the course re-plans.
    record_cd1(page, planned_course.patient, today_in(clinic))
    expect_booking_kept(page, booked, room=rooms[1], clinician=physician)
    item = page.get_by_test_id("timeline-infusion-1")
    expect(item.get_by_test_id("needs-rebooking")).to_have_count(0)
    expect(item).to_contain_text(f"{chosen:%a %-d %b %Y} 10:00")

    assert booked_state(booked) == before
    assert booked.rebooking_reason == ""
    assert local(booked).date() == chosen != suggested_day


# 2. A closure is followed through: flagged, never moved ----------------------------------------


def test_a_closure_on_a_booked_day_flags_the_visit_everywhere_and_keeps_it(
    page,
    live_server,
    staff_client,
    admin_a,
    coordinator,
    physician,
    planned_course,
    rooms,
    clinic,
    celery_worker,
):
    booked = book_at(
        infusion(planned_course),
        day=local(infusion(planned_course)).date(),
        hour=11,
        room=rooms[0],
        clinician=physician,
    )
    day = local(booked).date()
    before = booked_state(booked)

    # The admin closes the clinic that day on /clinic/.
    login(page, live_server, staff_client, admin_a)
    page.goto("/clinic/")
    closed_form = page.locator("form").filter(
        has=page.locator('input[name="form"][value="closed"]')
    )
    closed_form.get_by_label("Date").fill(str(day))
    closed_form.get_by_label("Reason").fill("Staff training")
    closed_form.get_by_role("button", name="Add closed date").click()
    expect(page.get_by_role("alert").first).to_contain_text("Saved.")
    expect(page.get_by_role("alert").first).to_contain_text(f"closing on {day:%a %-d %b %Y}")

    # The re-plan was queued after commit and runs in a real Celery worker process.
    run = ReplanRun.objects.get()
    wait_until(
        lambda: ReplanRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        timeout=60,
        message=f"the worker did not run the re-plan:\n{celery_worker.output()}",
    )
    assert "scheduling.tasks.replan_clinic" in celery_worker.output()
    page.goto("/clinic/")
    finished = page.get_by_test_id("replan-run")
    expect(finished).to_have_attribute("data-finished", "yes")
    expect(finished).to_contain_text("1 course re-planned")
    expect(finished).to_contain_text("1 booked visit(s) need re-booking")

    # The coordinator sees it flagged on the patient page, on its day, room and clinician kept.
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{planned_course.patient_id}/")
    expect_booking_kept(page, booked, room=rooms[0], clinician=physician)
    flag = page.get_by_test_id("timeline-infusion-1").get_by_test_id("needs-rebooking")
    expect(flag).to_contain_text("Needs re-booking:")
    expect(flag).to_contain_text("closed")
    expect(flag).to_contain_text("Its reminders are held")
    assert booked_state(booked) == before

    # Today's needs-attention lists it with the reason.
    page.goto("/")
    rebooking = page.get_by_test_id("attention-rebooking")
    expect(rebooking).to_contain_text("Alice Archer")
    expect(rebooking).to_contain_text(f"{day:%a %-d %b} 11:00")
    expect(rebooking).to_contain_text("closed")
    assert_accessible(page)

    # The calendar marks it.
    page.goto(f"/calendar/?view=timeGridWeek&date={day}")
    event = page.get_by_test_id(f"event-{booked.pk}")
    expect(event).to_contain_text("⚠ Needs re-booking")
    expect(event).to_have_attribute("aria-label", re.compile("Needs re-booking.*Why: .*closed"))


# 3. Past visits never move -------------------------------------------------------------------


def test_a_past_booked_visit_stays_put_and_waits_for_its_outcome(
    page, live_server, staff_client, coordinator, physician, planned_course, rooms, clinic
):
    # The harvest was booked for yesterday 09:00 and nobody recorded what happened.
    yesterday = today_in(clinic) - dt.timedelta(days=1)
    harvest = live(planned_course, "harvest")
    starts_at = dt.datetime.combine(yesterday, dt.time(9), tzinfo=clinic.zone)
    type(harvest).objects.filter(pk=harvest.pk).update(
        status=AppointmentStatus.BOOKED,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=90),
        room=rooms[0],
        clinician=physician,
    )
    before = booked_state(harvest)

    login(page, live_server, staff_client, coordinator)
    record_cd1(page, planned_course.patient, today_in(clinic))  # the course re-plans

    expect_booking_kept(page, harvest, room=rooms[0], clinician=physician)
    expect(page.get_by_test_id("timeline-harvest")).to_contain_text(f"{yesterday:%a %-d %b %Y}")
    expect(page.get_by_test_id("timeline-harvest").get_by_test_id("needs-rebooking")).to_have_count(
        0
    )
    assert booked_state(harvest) == before

    page.goto("/")
    outcome = page.get_by_test_id("attention-outcome")
    expect(outcome).to_contain_text("Alice Archer")
    expect(outcome).to_contain_text(f"harvest {yesterday:%a %-d %b} 09:00")
    expect(outcome).to_contain_text("record done, no-show or cancelled")

    # Nor can a person move it: its time has passed.
    page.goto("/calendar/")
    tomorrow = today_in(clinic) + dt.timedelta(days=1)
    answer = post_move(page, harvest.pk, f"{tomorrow}T09:00:00")
    assert answer["status"] == 422
    assert "time has passed" in answer["body"]["error"]
    assert booked_state(harvest) == before


# 4. A result belongs to its visit ----------------------------------------------------------


@pytest.fixture
def released_course(clinic, rooms, physician):
    """Periods Mondays 5 Jan and 2 Feb 2026; harvest 3 Feb, released 20 Feb; planned from
    Tuesday 3 March: infusion 1 on Wed 11 March, its ultrasound on Fri 10 April."""
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        course = make_released_course(clinic, first_name="Alice", last_name="Archer")
    return course


def test_a_thickness_on_another_day_keeps_the_booked_ultrasound_and_a_result_marks_it_done(
    page, live_server, staff_client, physician, released_course, rooms, clinic
):
    # The server and this test share the clock (the live server runs in this process).
    with time_machine.travel(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC), tick=True) as clock:
        recording.appointment_mark_done(appointment=live(released_course, "infusion-1"))
        ultrasound = live(released_course, "ultrasound-1")
        assert local(ultrasound).date() == dt.date(2026, 4, 10)
        ultrasound = book_at(
            ultrasound, day=dt.date(2026, 4, 10), hour=9, room=rooms[1], clinician=physician
        )
        before = booked_state(ultrasound)

        # Two days before, the physician records a thickness without choosing a visit.
        clock.move_to(dt.datetime(2026, 4, 8, 15, tzinfo=dt.UTC))
        login(page, live_server, staff_client, physician)
        page.goto(f"/patients/{released_course.patient_id}/")
        page.get_by_test_id("record-thickness").click()
        visit = page.get_by_label("Ultrasound visit")
        expect(visit.locator("option:checked")).to_contain_text("None: an extra observation")
        page.get_by_label("Measured on").fill("2026-04-08")
        page.get_by_label("Endometrial thickness (mm)").fill("6.1")
        page.get_by_role("button", name="Record result").click()
        expect(page.get_by_role("alert").first).to_contain_text("6.1 mm recorded")
        expect(
            page.get_by_role("alert").filter(has_text="Measured on Wed 8 Apr 2026")
        ).to_contain_text("an observation")

        expect_booking_kept(page, ultrasound, room=rooms[1], clinician=physician)
        item = page.get_by_test_id("timeline-ultrasound-1")
        expect(item).to_contain_text("Fri 10 Apr 2026 09:00")
        expect(item.get_by_test_id("needs-rebooking")).to_have_count(0)
        assert booked_state(ultrasound) == before
        assert released_course.appointments.filter(step_key="ultrasound-1").count() == 1

        # On the booked day, "Record result" on the ultrasound visit records against it.
        clock.move_to(dt.datetime(2026, 4, 10, 15, tzinfo=dt.UTC))
        login(page, live_server, staff_client, physician)
        page.goto(f"/patients/{released_course.patient_id}/")
        page.get_by_test_id("result-ultrasound-1").click()
        expect(visit.locator("option:checked")).to_contain_text("Fri 10 Apr 2026")
        page.get_by_label("Measured on").fill("2026-04-10")
        page.get_by_label("Endometrial thickness (mm)").fill("7.4")
        page.get_by_role("button", name="Record result").click()
        expect(page.get_by_role("alert").first).to_contain_text("7.4 mm recorded")

        expect(item).to_have_count(1)
        expect(item).to_have_attribute("data-status", "done")
        expect(item).to_contain_text("Fri 10 Apr 2026 09:00")
        ultrasound.refresh_from_db()
        assert ultrasound.status == AppointmentStatus.DONE
        assert ultrasound.measurements.get().thickness_mm == Decimal("7.4")
        expect(page.get_by_test_id("thickness-point")).to_have_count(2)  # the results table
        expect(page.get_by_test_id("thickness-chart").locator("canvas")).to_have_attribute(
            "data-points", "2"
        )


# 5. A refusal is never lost --------------------------------------------------------------


def test_a_refused_plan_is_said_and_listed_in_needs_attention(
    page, live_server, staff_client, coordinator, clinic, rooms, physician
):
    today = today_in(clinic)
    patient = factories.PatientFactory(clinic=clinic, first_name="Ines", last_name="Iliac")
    first = today - dt.timedelta(days=30)
    patient.period_starts.create(date=first, reported_by="staff")
    course = factories.CourseFactory.build(
        patient=patient, clinic=clinic, route="intrauterine-artery", not_before=first
    )
    course = course_save(course=course)
    assert course.plan_problem == ""

    login(page, live_server, staff_client, coordinator)
    page.goto("/")
    expect(page.get_by_test_id("attention-unplannable")).not_to_contain_text("Ines Iliac")

    # A CD1 21 days after the last: 21-day cycles, ovulation on cycle day 7, before the artery
    # route's infusion days.
    reported = first + dt.timedelta(days=21)
    record_cd1(page, patient, reported)
    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="The course cannot be planned:")).to_have_count(1)
    expect(alerts.filter(has_text="The course cannot be planned:")).to_contain_text(
        "intrauterine-artery"
    )

    page.goto("/")
    unplannable = page.get_by_test_id("attention-unplannable")
    expect(unplannable).to_contain_text("Ines Iliac")
    expect(unplannable).to_contain_text("intrauterine-artery")
    course.refresh_from_db()
    assert "intrauterine-artery" in course.plan_problem


# 6. Cancel is no trap; nothing moves into the past -------------------------------------------


def test_cancel_confirms_needs_a_reason_drops_for_good_and_no_move_into_the_past(
    page, live_server, staff_client, coordinator, planned_course, rooms, physician, clinic
):
    follow_up = live(planned_course, "follow-up-6")
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{planned_course.patient_id}/")
    page.get_by_test_id("timeline-follow-up-6").get_by_role("link", name="Cancel…").click()

    # A confirmation page: opening it changed nothing.
    expect(page.get_by_role("heading", name="Cancel follow-up on")).to_be_visible()
    expect(page.get_by_label("Plan this step again")).to_be_visible()
    expect(page.get_by_label("Drop this step from the course")).to_be_visible()
    follow_up.refresh_from_db()
    assert follow_up.status == AppointmentStatus.TENTATIVE
    assert_accessible(page)

    # No reason: refused, still nothing changed.
    page.get_by_label("Drop this step from the course").check()
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_test_id("cancel-form")).to_contain_text("This field is required")
    follow_up.refresh_from_db()
    assert follow_up.status == AppointmentStatus.TENTATIVE

    page.get_by_label("Reason").fill("Follow-up done by her own gynaecologist")
    page.get_by_label("Drop this step from the course").check()
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_role("alert").first).to_contain_text("the step is dropped from the course")
    expect(page.get_by_test_id("timeline-follow-up-6")).to_have_count(0)
    follow_up.refresh_from_db()
    assert follow_up.status == AppointmentStatus.CANCELLED
    assert follow_up.cancel_reason == "Follow-up done by her own gynaecologist"

    # The next re-plan does not bring the step back.
    record_cd1(page, planned_course.patient, today_in(clinic))
    expect(page.get_by_test_id("timeline-follow-up-3")).to_have_count(1)
    expect(page.get_by_test_id("timeline-follow-up-6")).to_have_count(0)
    assert not planned_course.appointments.filter(
        step_key="follow-up-6", status=AppointmentStatus.TENTATIVE
    ).exists()

    # A consultation cannot be moved into the past: by drag and drop, nor to 2020.
    tomorrow = today_in(clinic) + dt.timedelta(days=1)
    yesterday = today_in(clinic) - dt.timedelta(days=1)
    starts_at = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=clinic.zone)
    consult = factories.AppointmentFactory(
        patient=planned_course.patient,
        room=rooms[0],
        clinician=physician,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )
    before = booked_state(consult)
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.goto(f"/calendar/?view=dayGridMonth&date={month_showing(yesterday, tomorrow)}")
    expect(page.get_by_test_id(f"event-{consult.pk}")).to_be_visible()
    drag(page, consult.pk, yesterday)
    refused = page.get_by_test_id("move-refused")
    expect(refused).to_contain_text("Not moved:")
    expect(refused).to_contain_text("past")
    expect(
        page.locator(f'td[data-date="{tomorrow}"]').get_by_test_id(f"event-{consult.pk}")
    ).to_be_visible()
    assert booked_state(consult) == before

    answer = post_move(page, consult.pk, "2020-01-06T09:00:00")
    assert answer["status"] == 422, json.dumps(answer)
    assert answer["body"]["error"]
    assert booked_state(consult) == before
