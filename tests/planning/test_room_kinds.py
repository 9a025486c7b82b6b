"""Rooms hold some kinds of visit (a scan room, a procedure room): free times offer a room only
for the visits it holds, booking refuses any other, and a booked visit a room no longer takes
is flagged for re-booking, never moved."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from scheduling.models import AppointmentStatus, ReplanRun
from scheduling.services import appointments, replans, slots
from tests import factories
from tests.planning.conftest import at, live

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)  # Tuesday 3 March 2026, London
INFUSION_DAY = dt.date(2026, 3, 11)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scan_and_procedure_rooms(rooms):
    scan, procedure = rooms
    scan.visit_kinds = ["ultrasound", "follow-up"]
    scan.save()
    procedure.visit_kinds = ["harvest", "infusion", "embryo-transfer"]
    procedure.save()
    return scan, procedure


def test_free_times_offer_only_the_rooms_that_hold_the_visit(
    released_course, scan_and_procedure_rooms, doctor
):
    scan, procedure = scan_and_procedure_rooms
    anywhere = factories.RoomFactory(clinic=released_course.clinic, name="Room 3")
    infusion = live(released_course, "infusion-1")
    offered = slots.free_slots(
        clinic=infusion.clinic, days=[INFUSION_DAY], kind="infusion", patient_id=0
    )
    assert offered and {pk for slot in offered for pk in slot.room_ids} == {
        procedure.pk,
        anywhere.pk,
    }
    scans = slots.free_slots(
        clinic=infusion.clinic, days=[INFUSION_DAY], kind="ultrasound", patient_id=0
    )
    assert {pk for slot in scans for pk in slot.room_ids} == {scan.pk, anywhere.pk}
    assert slots.visits_held(scan) == "Ultrasound, Follow-up"
    assert slots.visits_held(anywhere) == "Every visit"


def test_booking_an_infusion_in_the_scan_room_is_refused_and_writes_nothing(
    released_course, scan_and_procedure_rooms, doctor
):
    scan, _ = scan_and_procedure_rooms
    infusion = live(released_course, "infusion-1")
    before = (infusion.status, infusion.room_id, infusion.version)
    with pytest.raises(appointments.AppointmentRefused) as refused:
        appointments.appointment_book(
            appointment=infusion,
            starts_at=at(infusion.clinic, INFUSION_DAY, 9),
            room=scan,
            clinician=doctor,
        )
    assert str(refused.value) == "Room 1 is not used for infusions; choose another room."
    infusion.refresh_from_db()
    assert (infusion.status, infusion.room_id, infusion.version) == before


def test_the_booking_page_lists_only_the_rooms_that_hold_the_visit(
    client, released_course, scan_and_procedure_rooms, doctor, clinic_a
):
    scan, procedure = scan_and_procedure_rooms
    infusion = live(released_course, "infusion-1")
    coordinator = factories.MembershipFactory(clinic=clinic_a, role="coordinator").user
    client.force_login(coordinator)
    url = reverse("appointment-book", args=[infusion.pk]) + f"?day={INFUSION_DAY}"
    page = client.get(url).content.decode()
    room_choices = re.search(r'<select name="room".*?</select>', page, re.S).group()
    assert re.findall(r'<option value="(\d+)"', room_choices) == [str(procedure.pk)]
    start = at(infusion.clinic, INFUSION_DAY, 9).isoformat()
    posted = client.post(url, {"slot": start, "room": scan.pk, "clinician": doctor.pk})
    assert posted.status_code == 422
    assert "Select a valid choice" in posted.content.decode()
    assert live(released_course, "infusion-1").status == AppointmentStatus.TENTATIVE


def test_a_room_that_stops_holding_a_booked_visit_flags_it_for_rebooking(
    client, released_course, rooms, doctor, clinic_a
):
    infusion = live(released_course, "infusion-1")
    appointments.appointment_book(
        appointment=infusion,
        starts_at=at(infusion.clinic, INFUSION_DAY, 9),
        room=rooms[0],
        clinician=doctor,
    )
    admin = factories.MembershipFactory(clinic=clinic_a, role="admin").user
    client.force_login(admin)
    edit = reverse("room-edit", args=[rooms[0].pk])
    assert "Visits held here" in client.get(edit).content.decode()
    with time_machine.travel(TODAY, tick=False):
        saved = client.post(edit, {"name": "Scan room", "visit_kinds": ["ultrasound"]})
    assert saved.status_code == 302
    replans.replan_run_execute(ReplanRun.objects.get().pk)  # the Celery task's work
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.BOOKED and infusion.room == rooms[0]
    assert infusion.rebooking_reason == "Room Scan room is no longer used for infusions."
    page = client.get(reverse("clinic-settings")).content.decode()
    assert "Scan room" in page and "· Ultrasound" in page


def test_a_room_name_taken_in_the_clinic_is_a_form_error_on_the_edit_page(client, rooms, clinic_a):
    admin = factories.MembershipFactory(clinic=clinic_a, role="admin").user
    client.force_login(admin)
    answer = client.post(reverse("room-edit", args=[rooms[0].pk]), {"name": rooms[1].name})
    assert answer.status_code == 422
    assert "The clinic already has a room of this name." in answer.content.decode()


def test_an_unknown_kind_of_visit_is_a_form_error_and_changes_nothing(client, rooms, clinic_a):
    admin = factories.MembershipFactory(clinic=clinic_a, role="admin").user
    client.force_login(admin)
    answer = client.post(
        reverse("room-edit", args=[rooms[0].pk]), {"name": "Room 1", "visit_kinds": ["x-ray"]}
    )
    assert answer.status_code == 422
    assert "Select a valid choice. x-ray is not one of the available choices." in (
        answer.content.decode()
    )
    rooms[0].refresh_from_db()
    assert rooms[0].visit_kinds == []
