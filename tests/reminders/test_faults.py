"""The outbox under faults, with real Redis, real Celery worker and beat processes, real SMTP.

Each test counts what the SMTP server received by Message-ID: every reminder exactly once
(a duplicate is allowed only for a row that was mid-send when its worker was killed, and it
must be logged as such).
"""

import re
import socket
import time

import pytest
import redis

from scheduling.models import Reminder, ReminderStatus
from scheduling.services.outbox import reminders_dispatch
from tests.reminders.helpers import SMTPServer, due_reminders, smtp_env, status_counts
from tests.services import CeleryBeat, CeleryWorker, start_test_redis, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def all_sent(count: int) -> bool:
    return Reminder.objects.filter(status=ReminderStatus.SENT).count() == count


def errors_like(text: str) -> int:
    return Reminder.objects.filter(last_error__contains=text).count()


def dispatch_until(condition, *, timeout: float, message: str):
    """The beat tick's work, run here every half second (the tick itself is not under test)."""

    def tick():
        reminders_dispatch()
        return condition()

    return wait_until(tick, timeout=timeout, interval=0.5, message=message)


@pytest.fixture
def fast_outbox(settings):
    settings.REMINDER_LEASE_SECONDS = 6
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 1
    settings.EMAIL_TIMEOUT = 1
    settings.REMINDER_BATCH_SIZE = 25
    return settings


@pytest.fixture
def processes():
    started = []
    yield started
    for process in reversed(started):
        process.stop()


@pytest.fixture
def own_redis():
    server = start_test_redis()
    yield server
    server.stop()


def test_a_worker_killed_mid_batch_loses_nothing(fast_outbox, redis_url, celery_queue, processes):
    server = SMTPServer().start()
    server.handler.delay = 0.004
    try:
        rows = due_reminders(500)
        env = smtp_env(server)
        worker = CeleryWorker(redis_url=redis_url, queue=celery_queue, concurrency=2, **env)
        processes.append(worker.start())
        reminders_dispatch()
        wait_until(
            lambda: len(server.handler.messages) >= 120,
            timeout=60,
            message=lambda: f"nothing sent:\n{worker.output()}",
        )
        worker.kill()
        received_at_kill = len(server.handler.messages)
        assert received_at_kill < 500, "the kill came too late to test anything"
        mid_send = set(
            Reminder.objects.filter(status="claimed", send_started_at__isnull=False).values_list(
                "pk", flat=True
            )
        )

        restarted = CeleryWorker(redis_url=redis_url, queue=celery_queue, concurrency=2, **env)
        processes.append(restarted.start())
        dispatch_until(
            lambda: all_sent(500),
            timeout=90,
            message=lambda: (
                f"{status_counts()}, {len(server.handler.messages)} received "
                f"({received_at_kill} at the kill)\n{restarted.output()}"
            ),
        )
    finally:
        server.stop()

    ids = server.handler.ids()
    assert set(ids) == {row.message_id for row in rows}
    twice = {message_id for message_id, count in ids.items() if count > 1}
    assert all(count <= 2 for count in ids.values())
    twice_pks = {int(re.search(r"reminder-(\d+)@", message_id).group(1)) for message_id in twice}
    assert twice_pks <= mid_send, (twice_pks, mid_send)
    for pk in twice_pks:
        assert f"reminder {pk} was being sent when its worker stopped" in restarted.output()
    assert status_counts() == {"sent": 500}


def test_a_burst_that_outlasts_the_lease_arrives_whole(
    fast_outbox, redis_url, celery_queue, processes
):
    """09:00: every reminder of the day is due at once and the drain takes longer than the
    lease (and its grace): the batches still waiting keep their claim, none is cancelled."""
    fast_outbox.REMINDER_LEASE_SECONDS = 2
    grace = 3 * fast_outbox.EMAIL_TIMEOUT
    server = SMTPServer().start()
    server.handler.delay = 0.03  # a slow relay: 400 messages take at least 6 s on 2 processes
    env = smtp_env(server, EMAIL_TIMEOUT=1, REMINDER_LEASE_SECONDS=2, REMINDER_BATCH_SIZE=20)
    try:
        rows = due_reminders(400)
        worker = CeleryWorker(redis_url=redis_url, queue=celery_queue, concurrency=2, **env)
        processes.append(worker.start())
        started = time.monotonic()
        dispatch_until(
            lambda: all_sent(400),
            timeout=90,
            message=lambda: (
                f"{status_counts()}, {len(server.handler.messages)} received\n{worker.output()}"
            ),
        )
        drained_in = time.monotonic() - started
    finally:
        server.stop()
    assert drained_in > fast_outbox.REMINDER_LEASE_SECONDS + grace, "the lease never ran out"
    assert server.handler.ids() == {row.message_id: 1 for row in rows}
    assert status_counts() == {"sent": 400}
    assert "sent after its claim ended" not in worker.output()


def test_redis_restarted_and_flushed_while_reminders_are_due(
    fast_outbox, own_redis, celery_queue, processes
):
    server = SMTPServer().start()
    server.handler.delay = 0.01
    env = smtp_env(
        server, REMINDER_LEASE_SECONDS=6, REMINDER_RETRY_BACKOFF_SECONDS=1,
        REMINDER_DISPATCH_INTERVAL_SECONDS=1, REMINDER_BATCH_SIZE=10,
    )  # fmt: skip
    try:
        rows = due_reminders(200)
        worker = CeleryWorker(redis_url=own_redis.url, queue=celery_queue, concurrency=2, **env)
        processes.append(worker.start())
        beat = CeleryBeat(redis_url=own_redis.url, queue=celery_queue, **env)
        processes.append(beat.start())
        wait_until(
            lambda: len(server.handler.messages) >= 30,
            timeout=60,
            message=lambda: f"nothing sent:\n{beat.output()}\n{worker.output()}",
        )

        own_redis.stop()  # a restart of a Redis without persistence loses every queued message
        time.sleep(1)
        own_redis.start()
        wait_until(
            lambda: len(server.handler.messages) >= 100,
            timeout=60,
            message=lambda: f"stuck: {status_counts()}\n{worker.output()}",
        )
        redis.Redis.from_url(own_redis.url).flushall()

        wait_until(
            lambda: all_sent(200),
            timeout=90,
            message=lambda: f"not all sent: {status_counts()}\n{worker.output()}",
        )
    finally:
        server.stop()
    assert server.handler.ids() == {row.message_id: 1 for row in rows}


def test_two_beats_and_two_dispatchers_send_each_reminder_once(
    fast_outbox, own_redis, celery_queue, processes
):
    server = SMTPServer().start()
    env = smtp_env(server, REMINDER_DISPATCH_INTERVAL_SECONDS=1, REMINDER_BATCH_SIZE=5)
    try:
        rows = due_reminders(300)
        for _ in range(2):
            processes.append(
                CeleryWorker(redis_url=own_redis.url, queue=celery_queue, **env).start()
            )
        beats = [CeleryBeat(redis_url=own_redis.url, queue=celery_queue, **env) for _ in range(2)]
        for beat in beats:
            processes.append(beat.start())
        wait_until(
            lambda: all_sent(300), timeout=90, message=lambda: f"not all sent: {status_counts()}"
        )
    finally:
        server.stop()
    assert server.handler.ids() == {row.message_id: 1 for row in rows}
    for beat in beats:
        assert "scheduling.tasks.dispatch_reminders" in beat.output()


def test_smtp_silent_refusing_busy_then_accepting(fast_outbox, redis_url, celery_queue, processes):
    server = SMTPServer()
    env = smtp_env(server)
    rows = due_reminders(40)
    worker = CeleryWorker(redis_url=redis_url, queue=celery_queue, concurrency=2, **env)
    processes.append(worker.start())

    # A server that takes the connection and never answers: EMAIL_TIMEOUT ends the wait.
    with socket.create_server(("127.0.0.1", server.port)):
        dispatch_until(
            lambda: errors_like("timed out") >= 20,
            timeout=30,
            message=lambda: f"no timeout seen:\n{worker.output()}",
        )
    assert Reminder.objects.filter(status="sent").count() == 0
    # Nothing listens now: connections are refused.

    dispatch_until(
        lambda: errors_like("Refused") >= 20,
        timeout=30,
        message=lambda: f"no refusal seen:\n{worker.output()}",
    )
    assert Reminder.objects.filter(status="sent").count() == 0

    server.handler.mode = "busy"
    server.start()
    try:
        dispatch_until(
            lambda: errors_like("421") >= 20,
            timeout=30,
            message=lambda: f"no 421 seen:\n{worker.output()}",
        )
        assert Reminder.objects.filter(status="sent").count() == 0
        assert server.handler.messages == []

        server.handler.mode = "accept"
        dispatch_until(
            lambda: all_sent(40),
            timeout=60,
            message=lambda: f"not all sent: {status_counts()}\n{worker.output()}",
        )
    finally:
        server.stop()
    assert server.handler.ids() == {row.message_id: 1 for row in rows}
    assert "Hard time limit" not in worker.output()
