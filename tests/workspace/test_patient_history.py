"""The patient page's change history: who changed what, old → new, without noise."""

import re

import pytest
from django.urls import reverse

from scheduling.audit import acting_as
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_change_shows_old_and_new_values_and_a_creation_lists_no_fields(
    staff_client, coordinator_a, patient_a
):
    with acting_as(coordinator_a):
        appointment = factories.AppointmentFactory(patient=patient_a, status="tentative")
        appointment.status = "booked"
        appointment.save()

    page = staff_client(coordinator_a).get(reverse("patient-detail", args=[patient_a.pk]))
    history = re.search(
        r'data-testid="history">(.*?)</ol>', page.content.decode(), re.DOTALL
    ).group(1)
    assert "booked by" in history
    assert "status" not in history and "tentative" not in history
