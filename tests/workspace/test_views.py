"""The workspace's pages and JSON endpoints: scoping, roles, validation, constant queries."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus, Course
from tests import factories
from tests.workspace.conftest import book_at, day_with, infusion

pytestmark = pytest.mark.django_db


def week_of(day: dt.date) -> dict:
    return {
        "start": f"{day - dt.timedelta(days=3)}T00:00:00Z",
        "end": f"{day + dt.timedelta(days=4)}",
    }


def feed(client, params) -> list[dict]:
    content = client.get(reverse("calendar-events"), params).json()
    return [dict(zip(content["columns"], row, strict=True)) for row in content["rows"]]


def test_events_feed_filters_and_marks_tentative_steps(
    staff_client, coordinator, planned_course, rooms, physician
):
    client = staff_client(coordinator)
    appointment = infusion(planned_course)
    day = appointment.starts_at.astimezone(appointment.clinic.zone).date()
    other = factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=planned_course.clinic),
        room=rooms[1],
        starts_at=dt.datetime.combine(day, dt.time(11), tzinfo=planned_course.clinic.zone),
        ends_at=dt.datetime.combine(day, dt.time(11, 30), tzinfo=planned_course.clinic.zone),
    )

    by_id = {event["id"]: event for event in feed(client, week_of(day))}
    tentative = by_id[appointment.pk]
    assert tentative["status"] == "tentative"
    assert tentative["uncertaintyDays"] == appointment.uncertainty_days
    assert tentative["start"] == f"{day}T08:00"  # clinic wall-clock time, no offset
    assert tentative["patient"] == "Alice Archer"
    assert by_id[other.pk]["roomId"] == rooms[1].pk

    only_room = feed(client, {**week_of(day), "room": rooms[1].pk})
    assert [event["id"] for event in only_room] == [other.pk]
    only_infusions = feed(client, {**week_of(day), "kind": "infusion"})
    assert [event["id"] for event in only_infusions] == [appointment.pk]


def test_events_feed_rejects_bad_ranges(staff_client, coordinator):
    client = staff_client(coordinator)
    assert (
        client.get(reverse("calendar-events"), {"start": "soon", "end": "later"}).status_code == 400
    )
    too_long = {"start": "2025-01-01", "end": "2025-12-31"}
    assert client.get(reverse("calendar-events"), too_long).status_code == 400


def test_move_endpoint_answers_with_the_engine_reason(
    staff_client, coordinator, planned_course, rooms, physician
):
    appointment = infusion(planned_course)
    day = appointment.starts_at.astimezone(appointment.clinic.zone).date()
    book_at(appointment, day=day, hour=9, room=rooms[0], clinician=physician)
    luteal = day_with(planned_course, allowed=False, phase="luteal", near=day)
    client = staff_client(coordinator)
    url = reverse("appointment-move", args=[appointment.pk])

    refused = client.post(url, json.dumps({"start": f"{luteal}T09:00:00"}), "application/json")
    assert refused.status_code == 422
    assert "luteal" in refused.json()["error"]

    garbage = client.post(url, "not json", "application/json")
    assert garbage.status_code == 400


def test_another_clinics_appointment_is_not_found(staff_client, coordinator_b, planned_course):
    client = staff_client(coordinator_b)
    url = reverse("appointment-move", args=[infusion(planned_course).pk])
    response = client.post(url, json.dumps({"start": "2030-01-01T09:00"}), "application/json")
    assert response.status_code == 404
    assert (
        client.get(reverse("patient-detail", args=[planned_course.patient_id])).status_code == 404
    )


def test_physician_may_not_move_and_lab_lands_on_batches(
    staff_client, physician, lab_a, planned_course
):
    url = reverse("appointment-move", args=[infusion(planned_course).pk])
    response = staff_client(physician).post(url, "{}", "application/json")
    assert response.status_code == 403
    lab = staff_client(lab_a)
    assert lab.get(reverse("today")).url == reverse("batch-list")
    assert lab.get(reverse("batch-list")).status_code == 200
    assert lab.get(reverse("patient-list")).status_code == 403


def test_patient_search_by_name_mrn_and_stage(staff_client, coordinator, planned_course, clinic):
    factories.PatientFactory(clinic=clinic, first_name="Zoe", last_name="Zimmer", mrn="ZZ-1")
    client = staff_client(coordinator)
    url = reverse("patient-list")  # searched by POST: no name or MRN in any URL or log

    def search(**query):
        return client.post(url, {"q": "", "stage": "", **query}, follow=True).content.decode()

    page = search(q="zimm")
    assert "Zimmer" in page and "Archer" not in page
    page = search(q="ZZ-1")
    assert "Zimmer" in page
    page = search(stage="planning")
    assert "Archer" in page and "Zimmer" not in page


def test_patient_form_shows_clear_errors(staff_client, coordinator, planned_course):
    client = staff_client(coordinator)
    response = client.post(
        reverse("patient-create"),
        {
            "mrn": planned_course.patient.mrn,
            "first_name": "B",
            "last_name": "C",
            "email": "not-an-email",
            "time_zone": "Mars/Olympus",
            "language": "en",
            "diagnosis": "asherman",
            "stated_cycle_length": 10,
            "luteal_length": 14,
        },
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Another patient of this clinic has this MRN." in page
    assert "Enter a valid email address." in page
    assert "is not a known time zone" in page
    assert "greater than or equal to 15" in page


def test_course_preview_renders_the_plan_without_saving(staff_client, coordinator, clinic):
    patient = factories.PatientFactory(clinic=clinic)
    client = staff_client(coordinator)
    data = {
        "source": "bone-marrow",
        "route": "intrauterine",
        "planned_infusions": 2,
        "not_before": str(timezone.localdate()),
    }
    response = client.post(reverse("course-preview", args=[patient.pk]), data)
    assert "At least one reported period start" in response.content.decode()

    data["last_period_start"] = str(timezone.localdate() - dt.timedelta(days=3))
    page = client.post(reverse("course-preview", args=[patient.pk]), data).content.decode()
    assert 'data-step="infusion-2"' in page and 'data-step="harvest"' in page
    assert not Course.objects.filter(patient=patient).exists()
    assert not patient.period_starts.exists()

    data["max_infusions"] = 1
    page = client.post(reverse("course-preview", args=[patient.pk]), data).content.decode()
    assert "between 1 and 1" in page


def test_booking_page_offers_free_slots_and_books(
    staff_client, coordinator, planned_course, rooms, physician
):
    appointment = infusion(planned_course)
    client = staff_client(coordinator)
    url = reverse("appointment-book", args=[appointment.pk])
    form = client.get(url).context["form"]
    first_day_slots = form.fields["slot"].choices[0][1]
    slot = first_day_slots[0][0]
    response = client.post(url, {"slot": slot, "room": rooms[0].pk, "clinician": physician.pk})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.starts_at.isoformat() == slot


def _seed(clinic, rooms, physician, count: int, day: dt.date) -> None:
    zone = clinic.zone
    first = Appointment.objects.filter(clinic=clinic).count()  # after those seeded before
    for number in range(first, first + count):
        patient = factories.PatientFactory(clinic=clinic)
        starts_at = dt.datetime.combine(day, dt.time(8), tzinfo=zone) + dt.timedelta(
            minutes=10 * number
        )
        appointment = factories.AppointmentFactory(
            patient=patient,
            room=rooms[number % 2],
            clinician=physician,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=5),
            status=AppointmentStatus.BOOKED,
        )
        factories.ReminderFactory(appointment=appointment, status="failed")
        factories.CellBatchFactory(
            course=factories.CourseFactory(patient=patient),
            expansion_started_on=day - dt.timedelta(days=20),
        )


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_feed_and_today_run_a_constant_number_of_queries(
    staff_client, coordinator, clinic, rooms, physician
):
    client = staff_client(coordinator)
    today = timezone.localdate(timezone=clinic.zone)
    _seed(clinic, rooms, physician, 5, today)
    small = (
        _queries(client, reverse("calendar-events"), week_of(today)),
        _queries(client, reverse("today")),
    )
    _seed(clinic, rooms, physician, 45, today)
    large = (
        _queries(client, reverse("calendar-events"), week_of(today)),
        _queries(client, reverse("today")),
    )
    assert len(feed(client, week_of(today))) == 50
    assert small == large
