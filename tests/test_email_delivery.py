"""Emails go through Django's SMTP backend to a real SMTP server on loopback."""

import pytest

from scheduling.models import EmailMessage
from scheduling.services.patients import patient_send_welcome

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def test_welcome_email_is_delivered_and_logged(smtp, patient_a):
    log = patient_send_welcome(patient=patient_a)

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["To"] == patient_a.email
    assert received["Message-ID"] == f"<welcome-{patient_a.pk}@endoplan.local>"
    assert received["Subject"] == "Riverside Fertility: your appointment reminders"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Hello Alice" in text and "Hello Alice" in html
    # Health data: nothing about the diagnosis or therapy, anywhere in the email.
    for part in (received["Subject"], text, html):
        for word in ("endometri", "stem", "Asherman", "infusion", "thin"):
            assert word.lower() not in part.lower()

    assert log.status == "sent"
    assert EmailMessage.objects.get(message_id=received["Message-ID"]).patient == patient_a


def test_smtp_failure_is_logged_and_raised(settings, patient_a):
    from tests.services import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with pytest.raises(ConnectionRefusedError):
        patient_send_welcome(patient=patient_a)
    log = EmailMessage.objects.get(patient=patient_a)
    assert log.status == "failed"
    assert "ConnectionRefusedError" in log.error
