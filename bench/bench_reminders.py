"""The 09:00 burst: 10,000 reminders due at once through the real stack, beside a plain smtplib
loop to the same server.

The stack: a Celery beat process (one tick a second) runs the dispatcher, two Celery worker
processes send, Redis carries the ids, and an aiosmtpd server on loopback counts what arrives by
Message-ID. The claim lease (with the sweeper's grace) is far shorter than the drain, as when a
day's reminders all fall due at 09:00: every reminder must still arrive, once, none cancelled.
Uses DATABASE_URL when set, else a throw-away SQLite file; always its own Redis.

    .venv/bin/python bench/bench_reminders.py [--count 10000]
"""

import argparse
import datetime as dt
import os
import re
import shutil
import smtplib
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from aiosmtpd.controller import Controller  # noqa: E402

from clinic.embedded_redis import EmbeddedRedis, free_port  # noqa: E402

FIRST_TICK = re.compile(
    r"^\[([0-9-]+ [0-9:,]+): INFO/MainProcess\] Scheduler: Sending due task", re.M
)
MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>]+>)", re.MULTILINE | re.IGNORECASE)
EMAIL_TIMEOUT = 1
LEASE_SECONDS = 2


class CountingHandler:
    def __init__(self):
        self.ids: Counter = Counter()
        self.lock = threading.Lock()
        self.plain = 0
        self.last_at = 0.0

    async def handle_DATA(self, server, session, envelope):
        match = MESSAGE_ID.search(envelope.content)
        with self.lock:
            if match and match.group(1).startswith(b"<reminder-"):
                self.ids[match.group(1)] += 1
                self.last_at = time.time()
            else:
                self.plain += 1
        return "250 OK"


def configure(smtp_port: int, redis_url: str, workdir: Path, lease: int) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        # A lease of 2 s, returned by the sweeper 3 s later (3 * EMAIL_TIMEOUT): shorter than
        # the drain of 10,000 messages, so the claims live only as long as they are renewed.
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
        "REMINDER_LEASE_SECONDS": str(lease),
        "REMINDER_DISPATCH_INTERVAL_SECONDS": "1",
        "REMINDER_DISPATCH_LIMIT": "5000",
        "REMINDER_BATCH_SIZE": "100",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "False",  # like production: no query log, no template debug info
        "VAR_DIR": str(workdir),
    }
    os.environ.update(env)
    return dict(os.environ)


def make_reminders(count: int):
    from scheduling.models import Appointment, Clinic, Patient, Reminder

    clinic = Clinic.objects.create(name="Bench Clinic", slug=f"bench-{uuid.uuid4().hex[:6]}")
    patient = Patient.objects.create(
        clinic=clinic, mrn="B1", first_name="Bea", last_name="Bench",
        email="bea@patients.example", time_zone="Europe/London", diagnosis="thin-endometrium",
    )  # fmt: skip
    first = dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=2)
    visit = dt.timedelta(minutes=20)
    # One after the other: on PostgreSQL the database refuses a patient's overlapping visits.
    appointments = Appointment.objects.bulk_create(
        Appointment(
            clinic=clinic,
            patient=patient,
            kind="ultrasound",
            status="booked",
            starts_at=first + n * visit,
            ends_at=first + (n + 1) * visit,
        )
        for n in range(count)
    )
    due = dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=1)
    Reminder.objects.bulk_create(
        Reminder(
            clinic=clinic,
            patient=patient,
            appointment=appointment,
            appointment_version=1,
            kind="ultrasound-1d",
            due_at=due,
        )
        for appointment in appointments
    )
    return Reminder.objects.filter(clinic=clinic).first()


def plain_loop(port: int, sample, count: int) -> float:
    """One smtplib connection sending `count` copies of a rendered reminder."""
    from scheduling.emails import build_message, reminder_email

    message, _, _ = build_message(reminder_email(sample))
    del message.extra_headers["Message-ID"]
    body = message.message().as_bytes(linesep="\r\n")
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for _ in range(count):
            client.sendmail("no-reply@localhost", ["bea@patients.example"], body)
    return count / (time.perf_counter() - started)


def first_tick_at(beat_log: str) -> float:
    """When the beat first sent the dispatcher task, from its log (UTC, like Django's TZ)."""
    match = FIRST_TICK.search(beat_log)
    if match is None:
        raise RuntimeError(f"the beat never ticked:\n{beat_log}")
    return dt.datetime.strptime(match.group(1) + " +0000", "%Y-%m-%d %H:%M:%S,%f %z").timestamp()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--plain-count", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=2, help="pool size of each worker")
    parser.add_argument("--lease", type=int, default=LEASE_SECONDS, help="REMINDER_LEASE_SECONDS")
    args = parser.parse_args()

    (BASE_DIR / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-reminders-", dir=BASE_DIR / "var"))
    redis_server = EmbeddedRedis(workdir=workdir).start()
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = configure(controller.port, redis_server.url, workdir, args.lease)

    import django

    django.setup()
    from django.core.management import call_command

    from tests.services import CeleryBeat, CeleryWorker

    processes = []
    succeeded = False
    try:
        call_command("migrate", verbosity=0)
        sample = make_reminders(args.count)
        # Three rounds: the first warms up; the median is the figure compared against.
        plain_rates = sorted(
            plain_loop(controller.port, sample, args.plain_count) for _ in range(3)
        )
        plain_rate = plain_rates[1]

        from scheduling.models import Reminder

        extra = {
            k: env[k] for k in env if k.startswith(("EMAIL_", "REMINDER_", "LOG_", "VAR_", "DEBUG"))
        }
        for _ in range(2):
            worker = CeleryWorker(
                redis_url=redis_server.url,
                queue=env["CELERY_QUEUE"],
                concurrency=args.concurrency,
                **extra,
            )
            worker.env["DATABASE_URL"] = env["DATABASE_URL"]
            processes.append(worker.start())
        beat = CeleryBeat(redis_url=redis_server.url, queue=env["CELERY_QUEUE"], **extra)
        beat.env["DATABASE_URL"] = env["DATABASE_URL"]
        started = time.time()
        processes.append(beat.start())
        deadline = started + 600
        while len(handler.ids) < args.count and time.time() < deadline:
            time.sleep(0.05)
        received = len(handler.ids)
        duplicates = sum(count - 1 for count in handler.ids.values())
        # Throughput counts from the beat's first tick; before it, the beat process starts up
        # and waits one schedule interval. The figure from the process start is shown too.
        first_tick = first_tick_at(beat.output())
        rate = received / (handler.last_at - first_tick)
        rate_from_start = received / (handler.last_at - started)
        sent_rows = Reminder.objects.filter(status="sent").count()
        statuses = Counter(Reminder.objects.values_list("status", flat=True))
        drain = handler.last_at - first_tick
        expires = args.lease + 3 * EMAIL_TIMEOUT
        print(
            f"plain smtplib loop : {plain_rate:8.0f} messages/s (median of 3 rounds of "
            f"{args.plain_count}: {', '.join(f'{rate:.0f}' for rate in plain_rates)})"
        )
        print(
            f"reminder outbox    : {rate:8.0f} messages/s "
            f"({handler.last_at - first_tick:.1f} s from the first beat tick to the last message)"
        )
        print(
            f"                     {rate_from_start:8.0f} messages/s counting the beat's start-up "
            f"({first_tick - started:.1f} s)"
        )
        print(f"received           : {received} of {args.count} (duplicates: {duplicates})")
        print(f"rows marked sent   : {sent_rows} (all rows: {dict(statuses)})")
        print(
            f"lease              : {args.lease} s, returned after {expires} s; "
            f"the drain took {drain:.1f} s"
        )
        print(f"ratio              : {rate / plain_rate:.2f} of the plain loop (target >= 0.45)")
        succeeded = (
            received == args.count
            and duplicates == 0
            and statuses.get("cancelled", 0) == 0
            and (drain > expires or args.lease != LEASE_SECONDS)
        )
        return 0 if succeeded else 1
    finally:
        for process in reversed(processes):
            process.stop()
            if succeeded:  # the Celery logs of a run that failed are kept in var/
                process.log_path.unlink(missing_ok=True)
        controller.stop()
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
