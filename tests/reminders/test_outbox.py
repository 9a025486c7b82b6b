"""The outbox in one process: claim, send over real SMTP, retry, fail, sweep, re-check."""

import datetime as dt

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from scheduling.models import Appointment, EmailMessage, Reminder
from scheduling.services.outbox import reminders_claim, reminders_send, reminders_sweep
from tests.reminders.helpers import booked_visit, due_reminders, prose, smtp_on, status_counts

pytestmark = [pytest.mark.django_db, pytest.mark.services]

DIAGNOSIS_WORDS = (
    "endometri", "stem", "asherman", "infusion", "thin", "cell", "marrow", "adipose",
    "menstrual blood", "umbilical", " mm", "thickness", "msc", "harvest", "transfer",
)  # fmt: skip


def send_due():
    claim = reminders_claim()
    return reminders_send(ids=claim["ids"], token=claim["token"]) if claim["ids"] else {}


def test_a_due_reminder_is_sent_once_with_its_message_id_and_ics(settings):
    with smtp_on(settings) as server:
        (row,) = due_reminders(1)
        assert send_due() == {"sent": 1, "retry": 0, "failed": 0, "skipped": 0}
        assert send_due() == {}
        reminders_send(ids=[row.pk], token="stale")  # a redelivered message finds nothing

    assert server.handler.ids() == {f"<reminder-{row.pk}@endoplan.local>": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claim_token) == ("sent", 1, "")
    received = server.handler.messages[0]
    attachment = next(part for part in received.iter_attachments())
    ics = attachment.get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert f"UID:appointment-{row.appointment_id}@endoplan" in ics
    assert "SEQUENCE:1" in ics
    log = EmailMessage.objects.get(message_id=received["Message-ID"])
    assert (log.status, log.reminder_id, log.patient_id) == ("sent", row.pk, row.patient_id)


def test_reminder_emails_carry_no_health_data_and_no_name_in_the_subject(settings):
    from scheduling.emails import build_message, reminder_email

    visit = booked_visit(kind="infusion")
    course_words = [visit.patient.first_name, visit.patient.last_name]
    for row in Reminder.objects.filter(appointment=visit):
        message, subject, _ = build_message(reminder_email(row))
        html = message.alternatives[0][0]
        calendar = message.attachments[0][1]
        for name in course_words:
            assert name not in subject
        for part in (subject, message.body, html, str(calendar)):
            for word in DIAGNOSIS_WORDS:
                assert word not in prose(part), (word, part)
        assert f"Hello {visit.patient.first_name}" in message.body


def test_a_5xx_rejection_marks_the_reminder_failed_for_coordinators(settings):
    from scheduling.selectors.messaging import failed_reminders

    with smtp_on(settings) as server:
        server.handler.mode = "reject"
        (row,) = due_reminders(1)
        assert send_due()["failed"] == 1
    row.refresh_from_db()
    assert row.status == "failed" and "550" in row.last_error
    assert list(failed_reminders(row.clinic)) == [row]
    assert EmailMessage.objects.get(reminder=row).status == "failed"


def test_a_temporary_error_puts_the_row_back_with_a_back_off(settings):
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 30
    with smtp_on(settings) as server:
        server.handler.mode = "busy"
        (row,) = due_reminders(1)
        before = timezone.now()
        assert send_due()["retry"] == 1
        row.refresh_from_db()
        assert row.status == "pending" and "421" in row.last_error
        assert row.due_at >= before + dt.timedelta(seconds=30)
        assert send_due() == {}  # not due again yet
        server.handler.mode = "accept"
        Reminder.objects.filter(pk=row.pk).update(due_at=timezone.now())
        assert send_due()["sent"] == 1
    assert server.handler.ids() == {row.message_id: 1}
    assert EmailMessage.objects.get(reminder=row).status == "sent"


def test_connection_refused_is_temporary(settings):
    with smtp_on(settings) as server:
        server.stop()
        (row,) = due_reminders(1)
        assert send_due()["retry"] == 1
    row.refresh_from_db()
    assert row.status == "pending" and "Refused" in row.last_error


def test_an_appointment_moved_while_its_reminder_is_claimed_never_sends_the_old_time(settings):
    from scheduling.services.reminders import reminders_sync

    with smtp_on(settings) as server:
        visit = booked_visit(kind="ultrasound", starts_at=timezone.now() + dt.timedelta(hours=20))
        (old,) = Reminder.objects.filter(appointment=visit)
        Reminder.objects.filter(pk=old.pk).update(due_at=timezone.now())
        claim = reminders_claim()
        assert claim["ids"] == [old.pk]
        # The coordinator moves the visit while the send task is on its way.
        visit.starts_at += dt.timedelta(days=1)
        visit.ends_at += dt.timedelta(days=1)
        visit.version += 1
        visit.save()
        reminders_sync(appointment=visit)
        assert reminders_send(ids=claim["ids"], token=claim["token"])["sent"] == 0
        assert server.handler.messages == []
        new = Reminder.objects.get(appointment=visit, appointment_version=2)
        Reminder.objects.filter(pk=new.pk).update(due_at=timezone.now())
        assert send_due()["sent"] == 1

    assert server.handler.ids() == {new.message_id: 1}
    old.refresh_from_db()
    assert old.status == "cancelled"
    body = server.handler.messages[0].get_body(preferencelist=("plain",)).get_content()
    local_new = timezone.localtime(visit.starts_at, visit.patient.clinic.zone)
    assert local_new.strftime("%H:%M") in body
    assert f"{local_new.day} {local_new:%B}" in body


def test_the_send_task_reads_the_appointment_as_it_is_when_it_sends(settings):
    """Moved between the task loading its rows and sending: the stale copy is not sent."""
    from scheduling.services import outbox

    with smtp_on(settings) as server:
        (row,) = due_reminders(1)
        claim = reminders_claim()
        loaded = Reminder.objects.select_related("appointment", "patient__clinic").get(pk=row.pk)
        later = dt.timedelta(hours=3)
        Appointment.objects.filter(pk=row.appointment_id).update(
            starts_at=F("starts_at") + later, ends_at=F("ends_at") + later
        )
        batch = outbox._Batch(claim["token"])
        assert outbox._send_one(loaded, batch) == "skipped"
        batch.flush()
    assert server.handler.messages == []


def test_sweeper_returns_expired_leases_and_marks_late_rows_missed(settings):
    from scheduling.selectors.messaging import missed_reminders

    settings.REMINDER_LEASE_SECONDS = 60
    rows = due_reminders(3)
    claim = reminders_claim()
    assert sorted(claim["ids"]) == sorted(row.pk for row in rows)
    assert reminders_sweep() == {"returned": 0, "missed": 0}
    later = timezone.now() + dt.timedelta(seconds=60 + 3 * settings.EMAIL_TIMEOUT + 1)
    assert reminders_sweep(now=later)["returned"] == 3
    assert status_counts() == {"pending": 3}
    Reminder.objects.filter(pk=rows[0].pk).update(due_at=timezone.now() - dt.timedelta(hours=13))
    assert reminders_sweep()["missed"] == 1
    assert [row.pk for row in missed_reminders(rows[0].clinic)] == [rows[0].pk]


@time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=False)
def test_two_claims_never_share_a_row():
    due_reminders(10)
    first, second = reminders_claim(limit=6), reminders_claim(limit=6)
    assert len(first["ids"]) == 6 and len(second["ids"]) == 4
    assert not set(first["ids"]) & set(second["ids"])
