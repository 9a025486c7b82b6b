"""Patients' emails through a real SMTP server: the year when not this year, new visits in the
"your dates changed" email, a used confirm link that says so kindly, links to the served address.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from scheduling import links
from scheduling.models import AppointmentStatus, Reminder
from scheduling.services.outbox import reminders_claim, reminders_send
from scheduling.services.planning import course_replan
from scheduling.services.reminders import plan_changes_notify
from scheduling.timeline import Change
from tests import factories
from tests.planning.conftest import live, make_released_course
from tests.reminders.helpers import booked_visit, smtp_on

pytestmark = [pytest.mark.django_db, pytest.mark.services]

LONDON = ZoneInfo("Europe/London")


def send_due() -> int:
    claim = reminders_claim()
    return reminders_send(ids=claim["ids"], token=claim["token"])["sent"] if claim["ids"] else 0


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False)
def test_dates_carry_the_year_only_when_not_this_year(settings):
    patient = factories.PatientFactory(time_zone="Europe/London")
    this_year = dt.datetime(2026, 11, 23, 10, tzinfo=LONDON)
    next_year = dt.datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)
    for starts_at in (this_year, next_year):
        visit = booked_visit(kind="infusion", patient=patient, starts_at=starts_at)
        Reminder.objects.filter(appointment=visit).update(due_at=dt.datetime.now(tz=dt.UTC))
    with smtp_on(settings) as server:
        assert send_due() >= 2
    by_subject = {message["Subject"]: message for message in server.handler.messages}
    assert any(subject.endswith("Mon 23 Nov") for subject in by_subject), by_subject
    assert any(subject.endswith("Mon 4 Jan 2027") for subject in by_subject), by_subject
    bodies = " ".join(text_of(message) for message in server.handler.messages)
    assert "When: Monday 23 November at 10:00" in bodies
    assert "When: Monday 4 January 2027 at 09:30" in bodies
    assert "23 November 2026" not in bodies


@time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False)
def test_the_dates_changed_email_lists_new_moved_and_dropped_visits(settings):
    course = factories.CourseFactory()
    plan_changes_notify(
        course=course,
        changes=[
            Change("infusion-2", None, dt.date(2027, 1, 12)),
            Change("ultrasound-1", dt.date(2026, 12, 1), dt.date(2026, 12, 3)),
            Change("follow-up-3", dt.date(2026, 12, 18), None),
            Change("transfer-window", None, dt.date(2027, 3, 1)),
        ],
    )
    with smtp_on(settings) as server:
        assert send_due() == 1
    (message,) = server.handler.messages
    text, html = text_of(message), html_of(message)
    assert "New:\n- a new visit on Tue 12 Jan 2027\n" in text
    assert "- the time planned for your next step starts Mon 1 Mar 2027" in text
    assert "Moved:\n- your visit on Tue 1 Dec moves to Thu 3 Dec\n" in text
    assert "No longer needed:\n- your visit on Fri 18 Dec is no longer needed" in text
    assert "<li>a new visit on Tue 12 Jan 2027</li>" in html
    for word in ("infusion", "ultrasound", "transfer", "follow"):
        assert word not in (text + message["Subject"]).lower()


def test_a_re_plan_that_adds_a_visit_tells_the_patient_about_it(settings, clinic_a):
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        course = make_released_course(clinic_a)
        follow_up = live(course, "follow-up-3")
        day = follow_up.starts_at.astimezone(clinic_a.zone).date()
        course.dropped_steps = ["follow-up-3"]
        course.save(update_fields=["dropped_steps"])
        course_replan(course=course)
        follow_up.refresh_from_db()
        assert follow_up.status == AppointmentStatus.CANCELLED
        course.dropped_steps = []
        course.save(update_fields=["dropped_steps"])
        course_replan(course=course)
        assert live(course, "follow-up-3").status == AppointmentStatus.TENTATIVE
        with smtp_on(settings) as server:
            assert send_due() >= 2
    texts = [
        text_of(message)
        for message in server.handler.messages
        if "dates have changed" in message["Subject"]
    ]
    assert len(texts) == 2
    assert any(f"your visit on {day:%a %-d %b} is no longer needed" in text for text in texts)
    assert any(f"a new visit on {day:%a %-d %b}" in text for text in texts), texts


def test_a_used_confirm_link_says_already_confirmed(client):
    starts_at = dt.datetime(2026, 12, 8, 9, tzinfo=LONDON)
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        visit = booked_visit(kind="ultrasound", starts_at=starts_at)
        url = links.appointment_url(links.Purpose.CONFIRM, visit).removeprefix(
            "http://127.0.0.1:8000"
        )
        assert client.post(url).status_code == 200
        for again in (client.get(url), client.post(url)):
            page = again.content.decode()
            assert again.status_code == 200
            assert "Already confirmed — see you on Tue 8 Dec at 09:00" in page
            assert "Sorry" not in page
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CONFIRMED


def test_links_in_emails_use_the_configured_address(settings):
    patient = factories.PatientFactory()
    visit = booked_visit(kind="infusion", patient=patient)
    Reminder.objects.filter(appointment=visit).update(due_at=dt.datetime.now(tz=dt.UTC))
    with override_settings(SITE_URL="http://127.0.0.1:8123"), smtp_on(settings) as server:
        assert send_due() >= 1
    text = text_of(server.handler.messages[0])
    assert "http://127.0.0.1:8123/p/confirm/" in text
    assert "http://127.0.0.1:8123/p/reschedule/" in text
    assert ":8000" not in text


def test_make_run_serves_links_at_the_port_it_listens_on():
    from clinic.devstack import site_url

    assert site_url({}, "127.0.0.1", "8123") == "http://127.0.0.1:8123"
    assert site_url({}, "0.0.0.0", "8123") == "http://127.0.0.1:8123"  # noqa: S104
    assert site_url({"SITE_URL": "https://clinic.example.org/"}, "0.0.0.0", "80") == (  # noqa: S104
        "https://clinic.example.org"
    )
