"""Rendering and sending patient emails: three templates per kind, one log row per send.

Templates live in templates/emails/<kind>.subject.txt, .txt and .html. Emails are rendered in
the patient's language and time zone, and carry no diagnosis, therapy or result (health data).
"""

import logging
from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from scheduling.models import EmailMessage, EmailStatus, Patient

logger = logging.getLogger(__name__)


@dataclass
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str


@dataclass
class OutgoingEmail:
    patient: Patient
    kind: str
    context: dict
    message_id: str = ""
    attachments: list[Attachment] = field(default_factory=list)


def render_email(email: OutgoingEmail) -> tuple[str, str, str]:
    context = {
        "patient": email.patient,
        "clinic": email.patient.clinic,
        "site_url": settings.SITE_URL,
        **email.context,
    }
    with translation.override(email.patient.language), timezone.override(email.patient.time_zone):
        subject = render_to_string(f"emails/{email.kind}.subject.txt", context)
        text = render_to_string(f"emails/{email.kind}.txt", context)
        html = render_to_string(f"emails/{email.kind}.html", context)
    return " ".join(subject.split()), text, html


def build_message(email: OutgoingEmail) -> tuple[EmailMultiAlternatives, str, str]:
    subject, text, html = render_email(email)
    message_id = email.message_id or make_msgid(domain="endoplan.local")
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.patient.email],
        headers={"Message-ID": message_id},
        reply_to=[email.patient.clinic.email] if email.patient.clinic.email else None,
    )
    message.attach_alternative(html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message, subject, message_id


def send_email(email: OutgoingEmail) -> EmailMessage:
    """Send now and log it. SMTP errors propagate after the failure is logged."""
    message, subject, message_id = build_message(email)
    fields = {
        "clinic": email.patient.clinic,
        "patient": email.patient,
        "kind": email.kind,
        "to": email.patient.email,
        "subject": subject,
        "body_text": message.body,
    }
    try:
        message.send()
    except Exception as error:
        # One row per Message-ID: a retry of the same reminder updates it.
        EmailMessage.objects.update_or_create(
            message_id=message_id,
            defaults={**fields, "status": EmailStatus.FAILED, "error": _describe(error)},
        )
        logger.warning("email %s to patient %s failed: %s", message_id, email.patient.pk, error)
        raise
    log, _ = EmailMessage.objects.update_or_create(
        message_id=message_id, defaults={**fields, "status": EmailStatus.SENT, "error": ""}
    )
    return log


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
