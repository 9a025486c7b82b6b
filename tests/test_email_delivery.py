"""A newly enrolled patient's welcome email goes out through the outbox to a real SMTP server."""

import pytest

from scheduling.models import EmailMessage, Patient, Reminder
from scheduling.services.enrolment import patient_save
from scheduling.services.outbox import reminders_claim, reminders_send

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def enrol(clinic, **fields) -> Patient:
    fields = {
        "mrn": "W-1",
        "first_name": "Alice",
        "last_name": "Archer",
        "email": "alice@patients.example",
        "time_zone": "Europe/London",
        "diagnosis": "asherman",
        **fields,
    }
    return patient_save(patient=Patient(clinic=clinic, **fields))


def send_due() -> dict:
    claim = reminders_claim()
    return reminders_send(ids=claim["ids"], token=claim["token"]) if claim["ids"] else {}


def test_a_new_patient_is_welcomed_once_and_the_email_is_logged(smtp, clinic_a):
    patient = enrol(clinic_a)
    patient.first_name = "Alicia"
    patient_save(patient=patient)  # an update sends nothing

    assert send_due()["sent"] == 1
    assert send_due() == {}
    (received,) = smtp.messages
    row = Reminder.objects.get(patient=patient)
    assert (row.kind, row.status) == ("welcome", "sent")
    assert received["To"] == patient.email
    assert received["Message-ID"] == row.message_id
    assert received["Subject"] == "Riverside Fertility: your appointment reminders"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Hello Alicia" in text and "Hello Alicia" in html
    # Health data: nothing about the diagnosis or therapy, anywhere in the email.
    for part in (received["Subject"], text, html):
        for word in ("endometri", "stem", "asherman", "infusion", "thin"):
            assert word not in part.lower()
    log = EmailMessage.objects.get(message_id=received["Message-ID"])
    assert (log.status, log.patient, log.kind) == ("sent", patient, "welcome")


def test_a_welcome_the_server_refuses_is_logged_and_tried_again_later(settings, clinic_a):
    from tests.services import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    patient = enrol(clinic_a)

    assert send_due()["retry"] == 1
    row = Reminder.objects.get(patient=patient)
    assert row.status == "pending" and "ConnectionRefusedError" in row.last_error
    log = EmailMessage.objects.get(patient=patient)
    assert log.status == "failed" and "ConnectionRefusedError" in log.error
