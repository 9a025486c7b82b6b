"""Real headless Chromium: the demo coordinator signs in and sees today's appointments."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.demo import load_demo
from scheduling.models import Appointment, AppointmentStatus, Clinic, Patient
from scheduling.selectors.appointments import appointments_on_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_coordinator_signs_in_and_sees_todays_appointments(page):
    load_demo(password="demo-password-2026")
    clinic = Clinic.objects.get(slug="demo")
    # The demo books today only on open days; this visit makes the test hold on any weekday.
    now = timezone.localtime(timezone=clinic.zone)
    starts_at = now.replace(hour=16, minute=0, second=0, microsecond=0)
    patient = Patient.objects.filter(clinic=clinic).order_by("mrn").last()
    Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        kind="consult",
        status=AppointmentStatus.BOOKED,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )
    todays = list(appointments_on_day(clinic=clinic, day=now.date()))

    page.goto("/")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill("demo-password-2026")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/")
    rows = page.locator("[data-testid=today-appointments] tbody tr")
    assert rows.count() == len(todays)
    listed = " ".join(rows.all_inner_texts())
    for appointment in todays:
        assert appointment.patient.full_name in listed


def test_wrong_password_is_refused_in_the_browser(page, coordinator_a):
    page.goto("/login/")
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert "/login/" in page.url
