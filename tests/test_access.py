"""Every page needs a login, and staff see only their own clinic's patients."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_see_their_own_clinics_patient(client, coordinator_a, patient_a):
    client.force_login(coordinator_a)
    response = client.get(reverse("patient-detail", args=[patient_a.pk]))
    assert response.status_code == 200
    assert patient_a.last_name in response.content.decode()


def test_patient_of_another_clinic_is_not_found(client, coordinator_a, patient_b):
    client.force_login(coordinator_a)
    response = client.get(reverse("patient-detail", args=[patient_b.pk]))
    assert response.status_code == 404
    assert patient_b.last_name not in response.content.decode()


def test_user_without_clinic_sees_no_patient_data(client, patient_a):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="drifter"))
    assert client.get(reverse("today")).status_code == 403
    assert client.get(reverse("patient-detail", args=[patient_a.pk])).status_code == 403
