"""Two dispatchers ticking at the same moment never claim one row twice.

Threads lined up on a `threading.Barrier`, each with its own database connection. The race is
real on PostgreSQL (`select_for_update(skip_locked=True)`: the second claim skips the rows the
first holds, without waiting); the suite's SQLite pass runs the same test, where the IMMEDIATE
transaction serialises the dispatchers, and checks that instead: nothing is skipped.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from scheduling.models import Reminder
from scheduling.services.outbox import reminders_claim
from tests.reminders.helpers import due_reminders

pytestmark = [pytest.mark.django_db(transaction=True)]


def in_thread(work, results: dict, name: str):
    def run():
        try:
            results[name] = work()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[name] = error
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_two_dispatchers_at_once_never_claim_a_row_twice():
    rows = due_reminders(600)
    claimed: list[dict] = []
    for _ in range(3):
        barrier = threading.Barrier(2, timeout=30)
        results: dict = {}

        def tick(barrier=barrier):
            barrier.wait()
            return reminders_claim(limit=100)

        threads = [in_thread(tick, results, name) for name in ("a", "b")]
        for thread in threads:
            thread.join(60)
        for result in results.values():
            if isinstance(result, BaseException):
                raise result
        assert len(results) == 2
        claimed += results.values()

    ids = [pk for claim in claimed for pk in claim["ids"]]
    assert [len(claim["ids"]) for claim in claimed] == [100] * 6  # none came back short
    assert len(ids) == len(set(ids)) == 600
    assert set(ids) == {row.pk for row in rows}
    for claim in claimed:  # each row holds the token of the one claim that reported it
        holders = Reminder.objects.filter(pk__in=claim["ids"]).values_list("claim_token", flat=True)
        assert set(holders) == {claim["token"]}


def test_a_claim_held_open_is_skipped_on_postgresql_and_waited_for_on_sqlite():
    due_reminders(200)
    holding = threading.Event()
    release = threading.Event()
    results: dict = {}
    finished: dict = {}

    def first():
        with transaction.atomic():
            claim = reminders_claim(limit=100)
            holding.set()
            release.wait(30)
            finished["first"] = time.monotonic()
        return claim

    def second():
        holding.wait(30)
        claim = reminders_claim(limit=100)
        finished["second"] = time.monotonic()
        return claim

    threads = [in_thread(first, results, "first"), in_thread(second, results, "second")]
    time.sleep(1)  # time enough for the second claim to finish, unless it waits for the first
    release.set()
    for thread in threads:
        thread.join(60)
    for result in results.values():
        if isinstance(result, BaseException):
            raise result
    a, b = results["first"]["ids"], results["second"]["ids"]
    assert len(a) == len(b) == 100 and not set(a) & set(b)
    if connection.vendor == "postgresql":
        # skip_locked: the second dispatcher took the next rows while the first still held its.
        assert finished["second"] < finished["first"]
    else:
        # SQLite: one writer at a time; the second claim waited for the first to commit.
        assert connection.vendor == "sqlite"
        assert finished["second"] > finished["first"]
