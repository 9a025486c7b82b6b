"""Response headers and error pages: CSP, no caching of patient data, pages that reveal nothing."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling import links
from tests import factories
from tests.services import production_env

pytestmark = pytest.mark.django_db


def test_content_security_policy_allows_no_inline_script(client, coordinator_a):
    client.force_login(coordinator_a)
    response = client.get(reverse("today"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    nonce = directives["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style data-fullcalendar nonce="{nonce}">' in response.content.decode()
    assert '"includeIndicatorStyles":false' in response.content.decode()


def test_pages_for_staff_are_never_cached(client, coordinator_a, patient_a):
    client.force_login(coordinator_a)
    for url in (reverse("today"), reverse("patient-detail", args=[patient_a.pk])):
        assert "no-store" in client.get(url)["Cache-Control"]


def test_patient_links_are_never_cached(patient_a):
    appointment = factories.AppointmentFactory(patient=patient_a)
    token = links.make_token(
        links.Purpose.CONFIRM,
        appointment.pk,
        appointment.version,
        timezone.now() + dt.timedelta(days=2),
    )
    response = Client().get(reverse("patient-link-confirm", args=[token]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_calendar_feeds_are_never_cached(clinic_a):
    from scheduling.models import CalendarFeed

    feed = CalendarFeed.objects.create(clinic=clinic_a, room=factories.RoomFactory(clinic=clinic_a))
    response = Client().get(reverse("calendar-feed", args=[feed.token]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_not_found_page_reveals_nothing(client, coordinator_a, patient_b):
    client.force_login(coordinator_a)
    response = client.get(reverse("patient-detail", args=[patient_b.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is nothing here, or it is not part of your clinic." in html
    assert patient_b.last_name not in html
    assert "Traceback" not in html


def test_forbidden_page_is_plain(client, lab_a, patient_a):
    client.force_login(lab_a)
    response = client.get(reverse("patient-detail", args=[patient_a.pk]))
    assert response.status_code == 403
    assert "Your account does not have access to this page" in response.content.decode()
    assert patient_a.last_name not in response.content.decode()


def test_an_oversized_request_is_refused_with_400(client, coordinator_a, settings):
    client.force_login(coordinator_a)
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("patient-create"), {"first_name": body})
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


def test_a_post_without_csrf_token_is_refused(coordinator_a, patient_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_a)
    response = client.post(reverse("patient-edit", args=[patient_a.pk]), {"last_name": "X"})
    assert response.status_code == 403
    patient_a.refresh_from_db()
    assert patient_a.last_name != "X"


def test_production_cookies_and_redirects_are_strict():
    import subprocess
    import sys

    code = (
        "import clinic.settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.DEBUG)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["True", "True", "True", "True", "True", "False"]
