"""Signed patient links: one purpose, one appointment, expiring, once; a GET changes nothing."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from scheduling import links
from scheduling.models import Appointment, PeriodStart, RescheduleRequest, UsedLink
from scheduling.selectors.messaging import open_reschedule_requests
from tests.reminders.helpers import booked_visit

pytestmark = pytest.mark.django_db


def path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def visit():
    return booked_visit(kind="infusion")


def test_get_shows_a_button_and_changes_nothing_then_post_confirms_once(client, visit):
    url = path(links.appointment_url(links.Purpose.CONFIRM, visit))
    page = client.get(url)
    assert page.status_code == 200
    assert b"Yes, I will come" in page.content and b'method="post"' in page.content
    visit.refresh_from_db()
    assert visit.status == "booked" and not UsedLink.objects.exists()

    done = client.post(url)
    assert done.status_code == 200 and b"confirmed" in done.content
    visit.refresh_from_db()
    assert visit.status == "confirmed"

    again = client.post(url)  # used: it says so kindly, and changes nothing
    assert again.status_code == 200 and b"Already confirmed" in again.content
    assert UsedLink.objects.count() == 1


def test_expired_link_says_so_kindly(client, visit):
    url = path(links.appointment_url(links.Purpose.CONFIRM, visit))
    with time_machine.travel(visit.ends_at + dt.timedelta(days=15)):
        response = client.post(url)
    assert response.status_code == 410 and b"expired" in response.content
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_tampered_and_wrong_purpose_links_are_refused(client, visit):
    token = links.appointment_url(links.Purpose.CONFIRM, visit).rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert client.post(f"/p/confirm/{tampered}/").status_code == 400
    wrong = client.post(f"/p/reschedule/{token}/", {"note": "x"})
    assert wrong.status_code == 400 and b"not valid" in wrong.content
    assert client.get("/p/period/nonsense/").status_code == 400
    assert not RescheduleRequest.objects.exists()
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_a_link_for_an_earlier_version_of_a_moved_appointment_is_refused(client, visit):
    url = path(links.appointment_url(links.Purpose.CONFIRM, visit))
    Appointment.objects.filter(pk=visit.pk).update(version=2)
    response = client.post(url)
    assert response.status_code == 410 and b"has changed" in response.content


def test_reschedule_request_with_a_note_reaches_needs_attention(client, visit):
    url = path(links.appointment_url(links.Purpose.RESCHEDULE, visit))
    assert client.get(url).status_code == 200
    assert not RescheduleRequest.objects.exists()
    response = client.post(url, {"note": "Mornings are hard for me"})
    assert response.status_code == 200 and b"We have your request" in response.content
    (request,) = open_reschedule_requests(visit.clinic)
    assert (request.appointment, request.note) == (visit, "Mornings are hard for me")
    assert client.post(url, {"note": "again"}).status_code == 410
    assert RescheduleRequest.objects.count() == 1


def test_period_report_records_cycle_day_1_once(client, visit):
    patient = visit.patient
    url = path(links.period_url(patient))
    assert client.get(url).status_code == 200
    assert not PeriodStart.objects.exists()

    future = timezone.localdate() + dt.timedelta(days=3)
    refused = client.post(url, {"date": future.isoformat()})
    assert refused.status_code == 400 and b"future" in refused.content
    assert client.post(url, {"date": "not a date"}).status_code == 400

    day = timezone.localdate() - dt.timedelta(days=1)
    assert client.post(url, {"date": day.isoformat()}).status_code == 200
    (period,) = PeriodStart.objects.all()
    assert (period.patient, period.date, period.reported_by) == (patient, day, "patient")
    assert client.post(url, {"date": day.isoformat()}).status_code == 410


def test_calendar_download_is_an_ics_without_health_data(client, visit):
    response = client.get(path(links.appointment_url(links.Purpose.CALENDAR, visit)))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert f"UID:appointment-{visit.pk}@endoplan" in body
    assert f"SUMMARY:Appointment at {visit.clinic.name}" in body
    assert "infusion" not in body.lower()
    assert (
        client.post(path(links.appointment_url(links.Purpose.CALENDAR, visit))).status_code == 405
    )
