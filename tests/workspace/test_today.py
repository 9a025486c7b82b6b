"""Today: any day by link or date picker, the needs-attention lists grouped with counts, and a
patient's reschedule note reaching staff, resolved with what was done (audited)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import AuditEvent, RescheduleRequest
from tests import factories

pytestmark = pytest.mark.django_db


def at(clinic, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clinic.zone)


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</section>', html, re.S)
    assert match, testid
    return match[0]


def test_any_day_by_link_or_picker_and_a_bad_date_is_said(
    staff_client, clinic, coordinator, rooms, patient_a
):
    today = timezone.localdate(timezone=clinic.zone)
    later = today + dt.timedelta(days=9)
    factories.AppointmentFactory(
        patient=patient_a, room=rooms[0], starts_at=at(clinic, later, 14),
        ends_at=at(clinic, later, 15), kind="infusion", step_key="infusion-2",
    )  # fmt: skip
    client = staff_client(coordinator)

    html = client.get(reverse("today"), {"day": later.isoformat()}).content.decode()
    assert f"{later:%A} {later.day} {later:%B %Y}" in html and "Today," not in html
    assert "Alice Archer" in html and patient_a.mrn in html and "Infusion 2" in html
    assert "14:00\N{EN DASH}15:00" in html
    assert f'href="?day={later - dt.timedelta(days=1)}"' in html
    assert f'href="?day={later + dt.timedelta(days=1)}"' in html
    assert 'type="date" name="day"' in html

    own = client.get(reverse("today")).content.decode()
    assert f"Today, {today:%A} {today.day}" in own
    assert "Alice Archer" not in re.search(r'data-testid="day-list".*?</div>', own, re.S)[0]

    for bad, said in (("31/12/2026", "That is not a date"), ("1900-01-01", "within three years")):
        response = client.get(reverse("today"), {"day": bad})
        assert response.status_code == 200
        assert said in response.content.decode()


def test_needs_attention_is_grouped_with_counts_and_long_groups_fold(
    staff_client, clinic, coordinator, patient_a
):
    soon = timezone.now() + dt.timedelta(hours=3)
    for n in range(7):
        factories.AppointmentFactory(
            patient=patient_a, status="booked", starts_at=soon + dt.timedelta(minutes=30 * n)
        )
    html = staff_client(coordinator).get(reverse("today")).content.decode()
    unconfirmed = section(html, "attention-unconfirmed")
    assert re.search(
        r'Unconfirmed within 48 hours <span[^>]*data-testid="attention-count">7<', unconfirmed
    )
    assert "<details" in unconfirmed and "Show 2 more" in unconfirmed
    assert unconfirmed.count("Alice Archer") == 7
    empty = section(html, "attention-failed")
    assert 'data-testid="attention-count">0<' in empty and "<details" not in empty


@pytest.fixture
def reschedule(clinic, patient_a):
    visit = factories.AppointmentFactory(
        patient=patient_a, kind="ultrasound", starts_at=timezone.now() + dt.timedelta(days=3),
    )  # fmt: skip
    return RescheduleRequest.objects.create(
        clinic=clinic, patient=patient_a, appointment=visit, appointment_version=visit.version,
        note="I am away that week, any day after the 14th works",
    )  # fmt: skip


def test_the_patients_note_reaches_today_and_her_page(
    staff_client, clinic, coordinator, reschedule
):
    client = staff_client(coordinator)
    today = section(client.get(reverse("today")).content.decode(), "attention-reschedule")
    assert "I am away that week, any day after the 14th works" in today
    assert reverse("reschedule-resolve", args=[reschedule.pk]) in today
    page = client.get(reverse("patient-detail", args=[reschedule.patient_id])).content.decode()
    requests = section(page, "reschedule-requests")
    assert "I am away that week" in requests and "Resolve" in requests


def test_resolve_records_what_was_done_once_and_it_shows_in_the_history(
    staff_client, clinic, coordinator, reschedule
):
    client = staff_client(coordinator)
    url = reverse("reschedule-resolve", args=[reschedule.pk])

    blank = client.post(url, {"resolution": "   "})
    assert blank.status_code == 422 and "Say what was done" in blank.content.decode()
    reschedule.refresh_from_db()
    assert reschedule.resolved_at is None

    done = client.post(url, {"resolution": "Moved to Thu 17 Dec 09:00", "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    reschedule.refresh_from_db()
    assert reschedule.resolution == "Moved to Thu 17 Dec 09:00"
    assert reschedule.resolved_by == coordinator and reschedule.resolved_at is not None
    event = AuditEvent.objects.filter(object_type="reschedulerequest", action="change").get()
    assert event.actor == coordinator
    assert event.changes["resolution"] == ["", "Moved to Thu 17 Dec 09:00"]

    again = client.post(url, {"resolution": "Something else"})
    assert again.status_code == 422 and "already resolved" in again.content.decode()
    reschedule.refresh_from_db()
    assert reschedule.resolution == "Moved to Thu 17 Dec 09:00"

    assert "I am away" not in client.get(reverse("today")).content.decode()
    page = client.get(reverse("patient-detail", args=[reschedule.patient_id])).content.decode()
    history = re.search(r'data-testid="history">(.*?)</ol>', page, re.S)[1]
    assert "Reschedule request resolved: Moved to Thu 17 Dec 09:00 by" in history
    assert 'data-testid="reschedule-requests"' not in page


def test_only_staff_who_book_resolve(staff_client, clinic, physician, reschedule):
    url = reverse("reschedule-resolve", args=[reschedule.pk])
    assert staff_client(physician).post(url, {"resolution": "x"}).status_code == 403
