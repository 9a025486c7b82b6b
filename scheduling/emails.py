"""Rendering and sending patient emails: three templates per kind, one log row per send.

Templates live in templates/emails/<kind>.subject.txt, .txt and .html. Emails are rendered in
the patient's language and time zone, and carry no diagnosis, therapy or result (health data).
"""

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from email.utils import make_msgid
from functools import cached_property

from django.conf import settings
from django.db import connection
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import formats, timezone, translation

from scheduling import ics, links
from scheduling.mime import PatientMessage
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
    reminder_id: int | None = None


def render_email(email: OutgoingEmail) -> tuple[str, str, str]:
    # What render_to_string does, with the three parts sharing one context and the templates
    # looked up once per process: a burst renders thousands of reminders of a few kinds.
    context = Context(
        {
            "patient": email.patient,
            "clinic": email.patient.clinic,
            "site_url": settings.SITE_URL,
            **email.context,
        },
        autoescape=True,
    )
    with translation.override(email.patient.language), timezone.override(email.patient.time_zone):
        subject, text, html = (part.render(context) for part in _templates(email.kind))
    return " ".join(subject.split()), text, html


@functools.cache
def _templates(kind: str) -> tuple[Template, Template, Template]:
    parts = ("subject.txt", "txt", "html")
    return tuple(get_template(f"emails/{kind}.{part}").template for part in parts)


def build_message(email: OutgoingEmail, connection=None) -> tuple[PatientMessage, str, str]:
    subject, text, html = render_email(email)
    message_id = email.message_id or make_msgid(domain="endoplan.local")
    message = PatientMessage(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.patient.email],
        headers={"Message-ID": message_id},
        reply_to=[email.patient.clinic.email] if email.patient.clinic.email else None,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message, subject, message_id


def log_email(
    email: OutgoingEmail,
    message: PatientMessage,
    subject: str,
    message_id: str,
    *,
    error: Exception | None = None,
) -> None:
    """Record the email under its Message-ID (a retry of the same reminder updates the row)."""
    with connection.cursor() as cursor:
        cursor.execute(log_sql(), email_log_row(email, message, subject, message_id, error=error))


def email_log_row(
    email: OutgoingEmail,
    message: PatientMessage,
    subject: str,
    message_id: str,
    *,
    error: Exception | None = None,
) -> list:
    """The parameters of `log_sql()` for one email, in `LOG_COLUMNS` order."""
    return [
        email.patient.clinic_id,
        email.patient.pk,
        email.reminder_id,
        email.kind,
        email.patient.email,
        subject[:200],
        message.body,
        message_id,
        EmailStatus.FAILED if error else EmailStatus.SENT,
        describe_error(error) if error else "",
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]


LOG_COLUMNS = (
    "clinic_id", "patient_id", "reminder_id", "kind", "to", "subject", "body_text",
    "message_id", "status", "error", "created_at",
)  # fmt: skip


def log_sql() -> str:
    """One INSERT … ON CONFLICT statement (SQLite and PostgreSQL); it runs once per email sent."""
    return _log_sql(connection.vendor)


@functools.cache
def _log_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in LOG_COLUMNS)
    updates = ", ".join(
        f"{quote(name)} = excluded.{quote(name)}"
        for name in LOG_COLUMNS
        if name not in ("message_id", "created_at")
    )
    return (
        f"INSERT INTO {quote(EmailMessage._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(LOG_COLUMNS))}) "
        f"ON CONFLICT ({quote('message_id')}) DO UPDATE SET {updates}"
    )


def describe_error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


# Reminders and notices -------------------------------------------------------------------------


def reminder_email(reminder) -> OutgoingEmail:
    """The email for one outbox row; its Message-ID is fixed, so a resend is recognisable."""
    patient = reminder.patient or reminder.appointment.patient
    if reminder.kind == "plan-changed":
        email = plan_changes_email(patient, reminder.payload)
        email.message_id, email.reminder_id = reminder.message_id, reminder.pk
        return email
    if reminder.kind == "welcome":
        return OutgoingEmail(
            patient=patient,
            kind="welcome",
            context={},
            message_id=reminder.message_id,
            reminder_id=reminder.pk,
        )
    context: dict = {"reminder": reminder}
    attachments = []
    if reminder.appointment_id is not None:
        appointment = reminder.appointment
        context.update(
            appointment=appointment,
            when=LocalStart(appointment.starts_at),
            confirm_url=links.appointment_url(links.Purpose.CONFIRM, appointment)
            if appointment.status == "booked"
            else "",
            reschedule_url=links.appointment_url(links.Purpose.RESCHEDULE, appointment),
            calendar_url=links.appointment_url(links.Purpose.CALENDAR, appointment),
        )
        attachments.append(
            Attachment(
                "appointment.ics",
                ics.calendar_bytes([appointment]),
                "text/calendar",
            )
        )
    else:
        context.update(expected_on=reminder.expected_on, period_url=links.period_url(patient))
    return OutgoingEmail(
        patient=patient,
        kind=f"reminder-{reminder.kind}",
        context=context,
        message_id=reminder.message_id,
        attachments=attachments,
        reminder_id=reminder.pk,
    )


def patient_day(value: dt.date | dt.datetime, *, long: bool = False) -> str:
    """A day as the patient reads it: "Tue 8 Dec" ("Tuesday 8 December" when `long`), with the
    year when it is not this year in her time zone ("Tue 4 Jan 2028"). Call it while rendering
    in her language and time zone (`render_email` sets both)."""
    day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
    pattern = "l j F" if long else "D j M"
    if day.year != timezone.localdate().year:
        pattern += " Y"
    return formats.date_format(day, pattern)


class LocalStart:
    """An appointment's start as the patient reads it, for templates (`{{ when.time }}`).

    Formatted when first read, that is while rendering in her language and time zone, and
    once per email although the subject, text and HTML all show it.
    """

    def __init__(self, starts_at: dt.datetime):
        self.starts_at = starts_at

    @cached_property
    def date(self) -> str:
        return patient_day(self.starts_at, long=True)

    @cached_property
    def day(self) -> str:
        return patient_day(self.starts_at, long=True)

    @cached_property
    def short_date(self) -> str:
        return patient_day(self.starts_at)

    @cached_property
    def time(self) -> str:
        return formats.date_format(timezone.localtime(self.starts_at), "H:i")


@dataclass
class DateChange:
    """One line of the "your dates changed" email, in the patient's words: a visit moved
    (`old` and `new`), added (`new` only) or no longer needed (`old` only)."""

    what: str
    old: dt.date | None
    new: dt.date | None

    @property
    def added(self) -> bool:
        return self.old is None

    @property
    def dropped(self) -> bool:
        return self.new is None


def describe_step(key: str) -> str:
    """A step key ("infusion-1", "transfer-window", …) without any therapy detail."""
    if key == "transfer-window":
        return "window"
    return "visit"


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def plan_changes_email(patient: Patient, changes: list[dict]) -> OutgoingEmail:
    lines = [
        DateChange(
            what=describe_step(change["key"]), old=_day(change["old"]), new=_day(change["new"])
        )
        for change in changes
        if change["old"] or change["new"]
    ]
    lines.sort(key=lambda line: line.new or line.old)
    context = {
        "added": [line for line in lines if line.added],
        "moved": [line for line in lines if not line.added and not line.dropped],
        "dropped": [line for line in lines if line.dropped],
    }
    return OutgoingEmail(patient=patient, kind="plan-changed", context=context)
