"""Patient search keeps names out of URLs; the client's address is read behind a trusted
proxy, for the sign-in lockout and the audit log alike."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from scheduling.models import AuditEvent
from scheduling.security import client_address
from tests import factories

pytestmark = pytest.mark.django_db


def test_patient_search_is_posted_and_never_in_a_url(staff_client, coordinator, clinic):
    factories.PatientFactory(clinic=clinic, first_name="Zoe", last_name="Zimmer", mrn="ZZ-1")
    factories.PatientFactory(clinic=clinic, first_name="Alice", last_name="Archer")
    client = staff_client(coordinator)
    response = client.post(reverse("patient-list"), {"q": "zimm", "stage": ""})
    assert response.status_code == 302
    assert response.url == reverse("patient-list")
    page = client.get(response.url).content.decode()
    assert "Zimmer" in page and "Archer" not in page
    assert 'method="post"' in page and "zimm" not in page.split("<table")[1]
    # A query string is ignored: no link or bookmark carries a name.
    page = client.get(reverse("patient-list"), {"q": "archer"}).content.decode()
    assert "Zimmer" in page and "Archer" not in page
    client.post(reverse("patient-list"), {"q": ""})
    page = client.get(reverse("patient-list")).content.decode()
    assert "Zimmer" in page and "Archer" in page


def test_pages_of_results_carry_only_the_page_number(staff_client, coordinator, clinic):
    for n in range(55):
        factories.PatientFactory(clinic=clinic, last_name=f"Smith{n:02d}")
    client = staff_client(coordinator)
    client.post(reverse("patient-list"), {"q": "smith"})
    page = client.get(reverse("patient-list")).content.decode()
    assert 'href="?page=2"' in page and "smith" not in page.lower().split("pagination")[1]


@pytest.mark.parametrize(
    "count,forwarded,expected",
    [
        (0, "203.0.113.9", "10.0.0.1"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_client_address(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_the_lockout_counts_per_client_behind_the_proxy(client, settings, coordinator):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "carla", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    # Another client through the same proxy is not locked out.
    response = client.post(
        reverse("login"),
        {"username": "carla", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert response.status_code == 200
    assert "locked" not in response.content.decode().lower()


def test_the_audit_log_records_the_client_behind_the_proxy(
    staff_client, settings, coordinator, clinic
):
    settings.TRUSTED_PROXY_COUNT = 1
    patient = factories.PatientFactory(clinic=clinic)
    staff_client(coordinator).get(
        reverse("patient-detail", args=[patient.pk]),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    viewed = AuditEvent.objects.get(patient_id=patient.pk, action="view")
    assert viewed.ip_address == "203.0.113.9"
