"""Sending the reminder outbox: claim due rows, send them, return what was left behind.

The database is the source of truth; Redis only carries "please send these ids". A claim writes
a random token and a lease on the rows; a send task acts on a row only while the row still
holds that token, so a message redelivered after a restart, or queued twice, finds nothing to
do; a copy running at the same time as the first leaves alone the rows the first began within
the send grace (sent, but not yet marked so: outbox_rows.py). A message Redis lost (restart,
flush, a worker killed with its prefetched messages) leaves its rows claimed until the lease
runs out; the sweeper then puts them back in the queue.

The lease is a heartbeat, not a deadline for the whole claim. Tokens sort in the order the
claims were made, and Redis hands messages out in that order: a send task of claim X renews,
when it starts and whenever half a lease has gone by, the rows of X and of every later claim,
which wait behind it in the queue. So the 09:00 backlog keeps its claims however long it takes
to drain, and a lost message's rows still come back: once no earlier claim is being worked
through, nothing renews them. A task that finds its lease run out takes its rows back if
nobody else has them (the sweeper has not returned them) and otherwise leaves them; only a
changed appointment (version, status) or a period already reported cancels a row. The
dispatcher keeps at most REMINDER_DISPATCH_LIMIT rows claimed at once.
"""

import datetime as dt
import logging
import math
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.utils import timezone

from scheduling import audit
from scheduling.emails import (
    OutgoingEmail,
    build_message,
    email_log_row,
    log_email,
    log_sql,
    reminder_email,
)
from scheduling.models import (
    Reminder,
    ReminderStatus,
)
from scheduling.services import outbox_rows
from scheduling.services.outbox_sql import BEGIN, MARK_SENT, RENEW, RENEW_SKIP_LOCKED
from scheduling.smtp_delivery import PermanentFailure, TemporaryFailure, deliver, flatten

logger = logging.getLogger(__name__)


# Claim ----------------------------------------------------------------------------------------


def reminders_claim(*, now: dt.datetime | None = None, limit: int | None = None) -> dict:
    """Claim due pending rows for one dispatcher; returns {token, ids} (ids may be empty)."""
    now = now or timezone.now()
    limit = settings.REMINDER_DISPATCH_LIMIT if limit is None else limit
    token = new_token()
    if limit <= 0:
        return {"token": token, "ids": []}
    lease = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    due = Reminder.objects.filter(status=ReminderStatus.PENDING, due_at__lte=now).order_by(
        "due_at", "pk"
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: a second dispatcher skips the rows this one holds.
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        else:
            # SQLite: the IMMEDIATE transaction already serialises dispatchers.
            ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return {"token": token, "ids": []}
        # Conditional: only rows still pending change, and only those carry our token.
        Reminder.objects.filter(pk__in=ids, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.CLAIMED, claim_token=token, lease_expires_at=lease
        )
        claimed = list(
            Reminder.objects.filter(pk__in=ids, status=ReminderStatus.CLAIMED, claim_token=token)
            .order_by("pk")
            .values_list("pk", "clinic_id")
        )
        # One event per clinic listing the ids (a pending row holds no token and no lease).
        claim = {
            "status": [ReminderStatus.PENDING, ReminderStatus.CLAIMED],
            "claim_token": ["", token],
            "lease_expires_at": [None, lease],
        }
        audit.write(audit.bulk_events(Reminder, claimed, claim))
    return {"token": token, "ids": [pk for pk, _ in claimed]}


def new_token() -> str:
    """32 hex digits that sort in the order claims are made: the time, then chance."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def reminders_dispatch(*, now: dt.datetime | None = None) -> int:
    """Sweep, claim what is due, and queue send tasks by id once the claim is committed.

    Claims only up to REMINDER_DISPATCH_LIMIT rows in flight: while the workers are still
    busy with earlier claims, a tick tops the queue up instead of piling more behind it.
    """
    from scheduling.tasks import send_reminders

    reminders_sweep(now=now)
    in_flight = Reminder.objects.filter(status=ReminderStatus.CLAIMED).count()
    claim = reminders_claim(now=now, limit=settings.REMINDER_DISPATCH_LIMIT - in_flight)
    ids, token = claim["ids"], claim["token"]
    size = settings.REMINDER_BATCH_SIZE
    for start in range(0, len(ids), size):
        _enqueue_on_commit(send_reminders, ids[start : start + size], token)
    return len(ids)


def _enqueue_on_commit(task, *args) -> None:
    """`task.delay_on_commit(*args)`, with a broker that is down logged instead of raised:
    the rows stay claimed and the sweeper returns them after the lease."""

    def enqueue():
        try:
            task.delay(*args)
        except Exception:
            logger.exception("could not queue %s", task.name)

    transaction.on_commit(enqueue)


# Sweep ----------------------------------------------------------------------------------------


def reminders_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Return expired leases to the queue; mark rows far too late as missed."""
    now = now or timezone.now()
    grace = outbox_rows.send_grace()
    too_late = now - dt.timedelta(hours=settings.REMINDER_MISSED_AFTER_HOURS)
    with transaction.atomic():
        returned = audit.update_rows(
            Reminder.objects.filter(
                status=ReminderStatus.CLAIMED, lease_expires_at__lt=now - grace
            ),
            status=ReminderStatus.PENDING,
            claim_token="",
            lease_expires_at=None,
        )
        late = Reminder.objects.filter(status=ReminderStatus.PENDING).filter(
            due_at__lt=too_late
        ) | Reminder.objects.filter(status=ReminderStatus.PENDING, appointment__starts_at__lte=now)
        missed = audit.update_rows(
            late,
            status=ReminderStatus.MISSED,
            last_error="Not sent in time; the patient was not told.",
        )
    if returned or missed:
        logger.warning("reminder sweep: %s returned to the queue, %s missed", returned, missed)
    return {"returned": returned, "missed": missed}


# Send -----------------------------------------------------------------------------------------


def reminders_send(*, ids: Iterable[int], token: str) -> dict[str, int]:
    """Send the claimed rows `ids` over one SMTP connection; each row at most once per claim.

    Each row costs one short write transaction: it records the previous row as sent (with its
    log line) and counts this row's attempt, right before this row's SMTP conversation. A row
    found begun but unmarked after a crash is the only one that may reach the patient twice.
    """
    rows = (
        Reminder.objects.filter(pk__in=list(ids), claim_token=token)
        .select_related("appointment", "appointment__clinic", "patient", "patient__clinic")
        .order_by("pk")
    )
    batch = _Batch(token)
    batch.renew()  # before the rows are read: a claim that waited in the queue is taken back
    try:
        # All emails of the task are rendered and flattened to bytes before the first is sent:
        # one kind of work at a time keeps the CPU's caches warm (a tenth or more less CPU per
        # message in a burst). Rendering writes nothing: each row's send still follows the
        # transaction that records the previous row sent and begins this one.
        rendered = [(row, _render(row, batch)) for row in rows]
        for row, email in rendered:
            if batch.server_down is not None:
                # Not worth another connection timeout per row: try these again later.
                batch.flush()
                outbox_rows.retry(row, token, batch.server_down)
                batch.counts["retry"] += 1
            else:
                batch.counts[_send_one(row, batch, email)] += 1
    finally:
        batch.flush()
        batch.smtp.close()
    return batch.counts


class _Batch:
    def __init__(self, token: str):
        self.token = token
        self.smtp = get_connection()
        self.counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
        self.server_down: Exception | None = None
        # The row just delivered, as the parameters of MARK_SENT, of its log line and its
        # audit event: it is recorded in the transaction that begins the next row (or by
        # `flush`).
        self.delivered: tuple[list, list, audit.PreparedAuditEvent] | None = None
        self.lease = dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
        self.renewed_at = -math.inf

    def renew(self) -> None:
        """Heartbeat: renew the lease of the rows of this claim and of the claims queued after
        it, those with less than half a lease left. Its own transaction, and rows another
        transaction holds are skipped (they are being sent): it never waits, never deadlocks."""
        now = timezone.now()
        until, below = now + self.lease, now + self.lease / 2
        sql = RENEW_SKIP_LOCKED if connection.features.has_select_for_update_skip_locked else RENEW
        with transaction.atomic():
            renewed = _returning(sql, [_db(until), self.token, _db(below)])
            # One event per clinic listing the ids; each row's old lease was under `below`.
            lease = {"lease_expires_at": [f"< {below.isoformat()}", until]}
            audit.write(audit.bulk_events(Reminder, renewed, lease))
        self.renewed_at = time.monotonic()

    def _renew_due(self) -> bool:
        return time.monotonic() - self.renewed_at >= self.lease.total_seconds() / 2

    def record_delivered(self, row: Reminder, email: OutgoingEmail, message, subject, message_id):
        moment = timezone.now()
        now = _db(moment)
        sent = {
            "status": [ReminderStatus.CLAIMED, ReminderStatus.SENT],
            "sent_at": [row.sent_at, moment],
            "claim_token": [self.token, ""],
            "last_error": [row.last_error, ""],
        }
        self.delivered = (
            [now, now, row.pk, self.token],
            email_log_row(email, message, subject, message_id),
            audit.prepare(audit.row_event(row, sent)),
        )

    def flush(self) -> None:
        if self.delivered is not None:
            with transaction.atomic():
                audit.write_prepared(self._mark_delivered())

    def _mark_delivered(self) -> list[audit.PreparedAuditEvent]:
        """MARK_SENT and the log line of the row delivered; its audit event, to be written."""
        if self.delivered is None:
            return []
        mark_sent, log_row, sent = self.delivered
        self.delivered = None
        marked = _execute(MARK_SENT, mark_sent)
        if not marked:
            logger.warning("reminder %s was sent after its claim ended", mark_sent[2])
        _execute(log_sql(), log_row)
        return [sent] if marked else []

    def begin(self, row: Reminder) -> bool:
        """Record the previous row as sent and count this row's attempt, in one transaction.

        Every parameter is ready before the transaction starts: on SQLite it holds the one
        write lock that all workers share.
        """
        moment = timezone.now()
        now = _db(moment)
        appointment = row.appointment
        starts_at = _db(appointment.starts_at) if appointment else now
        begun_before = _db(moment - outbox_rows.send_grace())  # else another copy is at it
        params = [now, now, row.pk, self.token, begun_before, now, starts_at]
        attempt = {
            "attempts": [row.attempts, row.attempts + 1],
            "send_started_at": [row.send_started_at, moment],
        }
        begun = audit.prepare(audit.row_event(row, attempt))
        if self._renew_due():
            self.renew()
        with transaction.atomic():
            events = self._mark_delivered()
            started = bool(_execute(BEGIN, params))
            # One INSERT for both rows' events.
            audit.write_prepared([*events, begun] if started else events)
            return started


def _render(row: Reminder, batch: _Batch):
    """(email, message, subject, message_id, flattened bytes or None), or the exception that
    rendering raised (dealt with when the row's turn comes)."""
    try:
        email = reminder_email(row)
        message, subject, message_id = build_message(email, batch.smtp)
        return email, message, subject, message_id, flatten(message, batch.smtp)
    except Exception as error:  # recorded when the row's turn comes
        return error


def _send_one(row: Reminder, batch: _Batch, rendered=None) -> str:
    """Send one row; `rendered` is what `_render` made of it (made now when None)."""
    token = batch.token
    if not outbox_rows.still_wanted(row):
        batch.flush()
        outbox_rows.cancel_if_mine(row, token)
        return "skipped"
    if rendered is None:
        rendered = _render(row, batch)
    if isinstance(rendered, Exception):
        logger.error("reminder %s could not be rendered", row.pk, exc_info=rendered)
        batch.flush()
        outbox_rows.fail(row, token, rendered)
        return "failed"
    email, message, subject, message_id, flattened = rendered
    if not batch.begin(row):
        outbox_rows.not_begun(row, token)
        return "skipped"
    if row.send_started_at is not None:
        logger.warning(
            "reminder %s was being sent when its worker stopped (%s); sending again, the "
            "patient may get it twice",
            row.pk,
            row.send_started_at.isoformat(),
        )
    try:
        deliver(message, batch.smtp, flattened)
    except TemporaryFailure as error:
        outbox_rows.retry(row, token, error)
        log_email(email, message, subject, message_id, error=error)
        if error.server_down:
            batch.server_down = error
        return "retry"
    except PermanentFailure as error:
        # The server's text may quote the address: the log gets the row id only.
        logger.warning("reminder %s rejected by the mail server", row.pk)
        outbox_rows.fail(row, token, error)
        log_email(email, message, subject, message_id, error=error)
        return "failed"
    batch.record_delivered(row, email, message, subject, message_id)
    return "sent"


def _db(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _returning(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
