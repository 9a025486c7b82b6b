"""Helpers for the reminder tests: booked visits, an SMTP server that can misbehave, counts."""

import asyncio
import datetime as dt
import re
from collections import Counter
from contextlib import contextmanager
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

from scheduling.models import AppointmentStatus, Reminder, ReminderStatus
from scheduling.services.reminders import reminders_sync
from tests import factories
from tests.services import free_port


class CountingHandler:
    """Keeps what it receives; `mode` makes it answer 421 (busy) or 550 (reject) instead."""

    def __init__(self):
        self.messages = []
        self.mode = "accept"
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "reject":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "busy":
            return "421 4.3.2 Service not available, try later"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def ids(self) -> Counter:
        return Counter(message["Message-ID"] for message in self.messages)


class SMTPServer:
    """An aiosmtpd server on a fixed port that a test can stop (connection refused) and restart."""

    def __init__(self, handler: CountingHandler | None = None, port: int | None = None):
        self.handler = handler or CountingHandler()
        self.port = port or free_port()
        self.controller = None

    def start(self) -> "SMTPServer":
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def smtp_on(settings, handler: CountingHandler | None = None):
    server = SMTPServer(handler).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    try:
        yield server
    finally:
        server.stop()


def smtp_env(server: SMTPServer, **extra) -> dict[str, str]:
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(server.port),
        "EMAIL_TIMEOUT": "3",
        "LOG_LEVEL": "INFO",
        "REMINDER_LEASE_SECONDS": "6",
        "REMINDER_RETRY_BACKOFF_SECONDS": "1",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def booked_visit(*, kind="infusion", starts_at=None, patient=None, **fields):
    patient = patient or factories.PatientFactory()
    starts_at = starts_at or dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=10)
    appointment = factories.AppointmentFactory(
        patient=patient,
        clinic=patient.clinic,
        kind=kind,
        status=fields.pop("status", AppointmentStatus.BOOKED),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=45),
        **fields,
    )
    reminders_sync(appointment=appointment)
    return appointment


def due_reminders(count: int, *, patient=None) -> list[Reminder]:
    """`count` pending reminders due now, one per booked visit, written in bulk."""
    patient = patient or factories.PatientFactory()
    soon = dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=2)
    # One after the other: a patient is never booked twice at one time (the database refuses).
    appointments = [
        factories.AppointmentFactory(
            patient=patient,
            clinic=patient.clinic,
            kind="ultrasound",
            starts_at=soon + dt.timedelta(minutes=20 * n),
            ends_at=soon + dt.timedelta(minutes=20 * (n + 1)),
        )
        for n in range(count)
    ]
    now = dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=1)
    return Reminder.objects.bulk_create(
        Reminder(
            clinic=patient.clinic,
            patient=patient,
            appointment=appointment,
            appointment_version=appointment.version,
            kind="ultrasound-1d",
            due_at=now,
        )
        for appointment in appointments
    )


def status_counts() -> Counter:
    return Counter(Reminder.objects.values_list("status", flat=True))


def local(when: dt.datetime, zone: str) -> dt.datetime:
    return when.astimezone(ZoneInfo(zone))


SENT = ReminderStatus.SENT


def prose(text: str) -> str:
    """An email's words without its links, lower-cased: a signed token may spell anything."""
    return re.sub(r"https?://\S+", "", text).lower()
