"""Duplicates are refused on the form, and the database's refusal in a race becomes the same
message: rooms, closed dates, lot numbers, and four parallel "new patient" posts of one MRN."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.forms.clinic_admin import ClosedDateForm, RoomForm
from scheduling.forms.patients import PatientForm
from scheduling.forms.recording import HarvestDoneForm
from scheduling.models import ClosedDate, Patient, Room
from scheduling.services.enrolment import patient_save
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_client, clinic):
    return staff_client(factories.MembershipFactory(clinic=clinic, role="admin").user)


def post_room(client, name):
    return client.post(reverse("clinic-settings"), {"form": "room", "room-name": name})


def post_closed(client, day):
    return client.post(reverse("clinic-settings"), {"form": "closed", "closed-date": day})


def test_duplicate_room_name_and_closed_day_are_form_errors(admin_client, clinic):
    assert post_room(admin_client, "Room A").status_code == 302
    response = post_room(admin_client, "Room A")
    assert response.status_code == 422
    assert response.context["forms"]["room"].errors["name"] == [RoomForm.TAKEN]
    day = timezone.localdate().isoformat()
    assert post_closed(admin_client, day).status_code == 302
    response = post_closed(admin_client, day)
    assert response.status_code == 422
    assert response.context["forms"]["closed"].errors["date"] == [ClosedDateForm.TAKEN]
    assert Room.objects.filter(clinic=clinic).count() == 1
    assert ClosedDate.objects.filter(clinic=clinic).count() == 1


def test_a_duplicate_that_wins_the_race_past_the_form_check_is_a_message(
    admin_client, clinic, monkeypatch
):
    """The other request's row appears between the form's check and the insert."""
    monkeypatch.setattr(RoomForm, "clean_name", lambda form: form.cleaned_data["name"])
    monkeypatch.setattr(ClosedDateForm, "clean_date", lambda form: form.cleaned_data["date"])
    factories.RoomFactory(clinic=clinic, name="Room A")
    response = post_room(admin_client, "Room A")
    assert response.status_code == 422
    assert response.context["forms"]["room"].errors["name"] == [RoomForm.TAKEN]
    day = timezone.localdate()
    ClosedDate.objects.create(clinic=clinic, date=day)
    response = post_closed(admin_client, day.isoformat())
    assert response.status_code == 422
    assert response.context["forms"]["closed"].errors["date"] == [ClosedDateForm.TAKEN]


def test_a_taken_lot_number_is_a_form_error(planned_course):
    batch = factories.CellBatchFactory(course=planned_course)
    today = timezone.localdate().isoformat()
    form = HarvestDoneForm(
        {"on": today, "lot_number": batch.lot_number}, clinic=planned_course.clinic
    )
    assert form.errors["lot_number"] == [HarvestDoneForm.LOT_TAKEN]
    other_clinic = factories.ClinicFactory(slug="elsewhere")
    form = HarvestDoneForm({"on": today, "lot_number": batch.lot_number}, clinic=other_clinic)
    assert form.is_valid()


def patient_data(mrn: str = "MRN-7") -> dict:
    return {
        "mrn": mrn,
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.org",
        "time_zone": "Europe/London",
        "language": "en",
        "diagnosis": "asherman",
        "stated_cycle_length": "28",
        "luteal_length": "14",
    }


def test_the_service_turns_the_databases_refusal_into_a_message(clinic, monkeypatch):
    factories.PatientFactory(clinic=clinic, mrn="MRN-7")
    form = PatientForm(patient_data(), clinic=clinic)
    monkeypatch.setattr(PatientForm, "clean_mrn", lambda form: form.cleaned_data["mrn"])
    assert form.is_valid()
    patient = form.save(commit=False)
    monkeypatch.setattr(Patient, "full_clean", lambda self, **kwargs: None)
    with pytest.raises(Exception) as refused:
        patient_save(patient=patient)
    assert refused.value.message_dict == {"mrn": ["Another patient of this clinic has this MRN."]}
    assert Patient.objects.filter(clinic=clinic).count() == 1


def test_a_patient_post_that_passed_the_form_check_gets_a_form_error(
    staff_client, coordinator, clinic, monkeypatch
):
    factories.PatientFactory(clinic=clinic, mrn="MRN-7")
    monkeypatch.setattr(PatientForm, "clean_mrn", lambda form: form.cleaned_data["mrn"])
    response = staff_client(coordinator).post(reverse("patient-create"), patient_data())
    assert response.status_code == 422
    assert response.context["form"].errors
    assert Patient.objects.filter(clinic=clinic).count() == 1


@pytest.mark.django_db(transaction=True)
def test_four_parallel_new_patient_posts_with_one_mrn_create_one(clinic, coordinator):
    """Each thread has its own database connection; all four pass the form's check together."""
    clients = []
    for _ in range(4):
        client = Client()
        client.force_login(coordinator)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(client):
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(reverse("patient-create"), patient_data()).status_code)
        except BaseException as error:  # a 500 is re-raised by the test client
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=[client]) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses) == [302, 422, 422, 422]
    assert Patient.objects.filter(clinic=clinic, mrn="MRN-7").count() == 1
