"""Issue 14 in the browser: destructive actions ask first, say exactly what changed, and can be
undone where that makes sense (a cancellation while the slot is free, a no-show on its day)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus
from tests import factories
from tests.factories import consent_for
from tests.workspace.conftest import assert_accessible, book_at, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def live_infusions(course):
    return list(
        course.appointments.filter(
            step_key="infusion-1",
            status__in=[AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED],
        )
    )


def test_cancel_asks_first_says_what_changed_and_undo_restores_the_visit(
    page, live_server, staff_client, coordinator, planned_course, clinic, rooms, physician
):
    consent_for(planned_course)
    visit = infusion(planned_course)
    day = visit.starts_at.astimezone(clinic.zone).date()
    visit = book_at(visit, day=day, hour=9, room=rooms[0], clinician=physician)
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/patients/{planned_course.patient_id}/")
    page.get_by_test_id("cancel-infusion-1").click()

    # A confirmation first: nothing has changed yet.
    expect(
        page.get_by_role("heading", name=f"Cancel infusion on {day:%a %-d %b %Y}")
    ).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    assert_accessible(page)
    page.get_by_label("Reason").fill("patient ill")
    page.get_by_role("button", name="Cancel the visit").click()

    done = page.get_by_role("alert").filter(has_text="cancelled")
    expect(done).to_contain_text(
        f"Infusion 1 on {day:%a %-d %b %Y} at 09:00 cancelled: patient ill; "
        "the step is planned again."
    )
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CANCELLED
    (replacement,) = live_infusions(planned_course)
    assert replacement.status == AppointmentStatus.TENTATIVE
    assert_accessible(page)

    done.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("alert").filter(has_text="restored")).to_contain_text(
        f"Infusion 1 on {day:%a %-d %b %Y} at 09:00 restored (booked)"
    )
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED and visit.cancel_reason == ""
    assert visit.room == rooms[0] and visit.clinician == physician
    assert visit.starts_at.astimezone(clinic.zone) == dt.datetime.combine(
        day, dt.time(9), tzinfo=clinic.zone
    )
    assert [a.pk for a in live_infusions(planned_course)] == [visit.pk]
    replacement.refresh_from_db()
    assert replacement.status == AppointmentStatus.CANCELLED
    expect(page.get_by_test_id("timeline-infusion-1")).to_have_attribute("data-status", "booked")


def test_undo_is_refused_when_the_slot_was_taken_meanwhile(
    page, live_server, staff_client, coordinator, planned_course, clinic, rooms, physician
):
    consent_for(planned_course)
    visit = infusion(planned_course)
    day = visit.starts_at.astimezone(clinic.zone).date()
    visit = book_at(visit, day=day, hour=9, room=rooms[0], clinician=physician)
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/appointments/{visit.pk}/cancel?next=/patients/{planned_course.patient_id}/")
    page.get_by_label("Reason").fill("patient ill")
    page.get_by_role("button", name="Cancel the visit").click()
    undo = page.get_by_role("alert").filter(has_text="cancelled").get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    # Someone else takes the physician at that time.
    factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic),
        clinician=physician,
        room=rooms[1],
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
    )
    undo.click()
    expect(page.get_by_role("alert").filter(has_text="Not restored")).to_contain_text(
        "The clinician already has a visit at that time."
    )
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CANCELLED


def test_no_show_asks_first_and_is_undone_on_its_day(
    page, live_server, staff_client, coordinator, clinic, rooms, physician
):
    today = timezone.localdate(timezone=clinic.zone)
    patient = factories.PatientFactory(clinic=clinic, first_name="Nora", last_name="Noshow")
    starts_at = dt.datetime.combine(today, dt.time(8), tzinfo=clinic.zone)
    consult = factories.AppointmentFactory(
        patient=patient,
        room=rooms[0],
        clinician=physician,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/appointments/{consult.pk}/no-show?next=/patients/{patient.pk}/")
    expect(page.get_by_role("heading", name="as a no-show?")).to_be_visible()
    page.get_by_role("button", name="Record no-show").click()  # not confirmed: refused
    expect(page.get_by_test_id("no-show-form")).to_contain_text("This field is required")
    consult.refresh_from_db()
    assert consult.status == AppointmentStatus.BOOKED

    page.get_by_label("Yes, I am sure").check()
    page.get_by_role("button", name="Record no-show").click()
    done = page.get_by_role("alert").filter(has_text="no-show")
    expect(done).to_contain_text(
        f"Consultation on {today:%a %-d %b %Y} at 08:00 recorded as a no-show"
    )
    consult.refresh_from_db()
    assert consult.status == AppointmentStatus.NO_SHOW
    done.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("alert").filter(has_text="booked again")).to_be_visible()
    consult.refresh_from_db()
    assert consult.status == AppointmentStatus.BOOKED


def test_revoking_a_calendar_feed_asks_first(page, live_server, staff_client, clinic, rooms):
    from scheduling.services.feeds import calendar_feed_create

    admin = factories.MembershipFactory(
        clinic=clinic, role="admin", user=factories.UserFactory(username="ada")
    ).user
    feed = calendar_feed_create(clinic=clinic, room=rooms[0], clinician=None, created_by=admin)
    login(page, live_server, staff_client, admin)
    page.goto("/clinic/feeds/")
    page.get_by_role("link", name="Revoke…").click()
    heading = f"Revoke the calendar address for {rooms[0]}?"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    feed.refresh_from_db()
    assert feed.is_active  # opening the page changed nothing
    assert_accessible(page)
    page.get_by_role("button", name="Revoke").click()  # not confirmed: refused
    expect(page.get_by_test_id("feed-revoke-form")).to_contain_text("This field is required")
    feed.refresh_from_db()
    assert feed.is_active
    page.get_by_label("Yes, I am sure").check()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        f"The calendar address for {rooms[0]} is revoked"
    )
    feed.refresh_from_db()
    assert not feed.is_active
