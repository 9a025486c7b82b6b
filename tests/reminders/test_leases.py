"""Leases: a claim lives while its batches are worked through; only a changed visit cancels.

Also the outbox's smaller invariants: tasks queued after commit, one welcome per patient, plan
notices numbered, and the timing settings checked at start-up.
"""

import datetime as dt
import subprocess
import sys

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import Appointment, Reminder
from scheduling.services import outbox
from scheduling.services.outbox import (
    reminders_claim,
    reminders_dispatch,
    reminders_send,
    reminders_sweep,
)
from scheduling.services.reminders import plan_changes_notify, welcome_notify
from tests import factories
from tests.reminders.helpers import due_reminders, smtp_on, status_counts
from tests.services import BASE_DIR

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def expire(token: str, *, seconds: float = 1) -> None:
    """The claim's lease ran out `seconds` ago (the sweeper's grace not yet over)."""
    Reminder.objects.filter(claim_token=token).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_send_that_starts_after_its_lease_ran_out_takes_its_rows_back(settings):
    with smtp_on(settings) as server:
        rows = due_reminders(3)
        claim = reminders_claim()
        expire(claim["token"])  # waited in the queue behind the 09:00 backlog
        assert reminders_send(ids=claim["ids"], token=claim["token"])["sent"] == 3
    assert server.handler.ids() == {row.message_id: 1 for row in rows}
    assert status_counts() == {"sent": 3}


def test_a_send_whose_rows_the_sweeper_returned_leaves_them_to_the_next_claim(settings):
    with smtp_on(settings) as server:
        rows = due_reminders(2)
        late = reminders_claim()
        expire(late["token"], seconds=3600)
        assert reminders_sweep()["returned"] == 2
        again = reminders_claim()
        assert reminders_send(ids=late["ids"], token=late["token"])["sent"] == 0
        assert status_counts() == {"claimed": 2}  # nothing cancelled: the new claim holds them
        assert reminders_send(ids=again["ids"], token=again["token"])["sent"] == 2
    assert server.handler.ids() == {row.message_id: 1 for row in rows}


def test_one_task_renews_the_lease_of_its_whole_claim(settings):
    settings.REMINDER_LEASE_SECONDS = 60
    with smtp_on(settings):
        rows = due_reminders(4)
        claim = reminders_claim()
        expire(claim["token"])
        reminders_send(ids=claim["ids"][:1], token=claim["token"])  # the first batch
    waiting = Reminder.objects.filter(pk__in=claim["ids"][1:])
    assert all(row.lease_expires_at > timezone.now() + dt.timedelta(seconds=50) for row in waiting)
    assert reminders_sweep()["returned"] == 0
    assert len(rows) == 4


def test_a_task_renews_the_claims_queued_after_its_own_never_those_before(settings):
    """Redis hands messages out in order: a later claim waits behind this one; an earlier
    claim still unbegun has lost its message, and must be left to expire."""
    settings.REMINDER_LEASE_SECONDS = 60
    due_reminders(3)
    before, mine, after = (reminders_claim(limit=1) for _ in range(3))
    assert before["token"] < mine["token"] < after["token"]
    for claim in (before, mine, after):
        expire(claim["token"])
    with smtp_on(settings):
        reminders_send(ids=mine["ids"], token=mine["token"])
    soon = timezone.now() + dt.timedelta(seconds=50)
    lease = dict(Reminder.objects.values_list("claim_token", "lease_expires_at"))
    assert lease[before["token"]] < timezone.now()
    assert lease[after["token"]] > soon
    assert reminders_sweep(now=timezone.now() + dt.timedelta(seconds=30))["returned"] == 1


def test_only_a_changed_appointment_cancels_a_claimed_row(settings):
    with smtp_on(settings) as server:
        moved, cancelled, begun, kept = due_reminders(4)
        claim = reminders_claim()
        expire(claim["token"])
        Appointment.objects.filter(pk=moved.appointment_id).update(version=2)
        Appointment.objects.filter(pk=cancelled.appointment_id).update(status="cancelled")
        Appointment.objects.filter(pk=begun.appointment_id).update(
            starts_at=timezone.now() - dt.timedelta(minutes=5),
            ends_at=timezone.now() + dt.timedelta(minutes=15),
        )
        counts = reminders_send(ids=claim["ids"], token=claim["token"])
    assert (counts["sent"], counts["skipped"]) == (1, 3)
    assert server.handler.ids() == {kept.message_id: 1}
    status = dict(Reminder.objects.values_list("pk", "status"))
    assert status == {
        moved.pk: "cancelled",
        cancelled.pk: "cancelled",
        begun.pk: "missed",
        kept.pk: "sent",
    }


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_keeps_at_most_the_dispatch_limit_in_flight(settings, monkeypatch):
    settings.REMINDER_DISPATCH_LIMIT = 10
    settings.REMINDER_BATCH_SIZE = 4
    queued = []
    monkeypatch.setattr("scheduling.tasks.send_reminders.delay", lambda *a: queued.append(a))
    due_reminders(25)
    with transaction.atomic():
        assert reminders_dispatch() == 10
        assert reminders_dispatch() == 0  # the first ten are still in flight
        assert queued == []  # nothing leaves before the commit
    assert [len(ids) for ids, _ in queued] == [4, 4, 2]
    Reminder.objects.filter(pk__in=queued[0][0]).update(status="sent")
    assert reminders_dispatch() == 4


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_dispatch_queues_nothing(settings, monkeypatch):
    queued = []
    monkeypatch.setattr("scheduling.tasks.send_reminders.delay", lambda *a: queued.append(a))
    due_reminders(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert reminders_dispatch() == 3
        raise RuntimeError("the tick's transaction fails")
    assert queued == []
    assert status_counts() == {"pending": 3}
    reminders_dispatch()  # no transaction around it: queued at once, after its own commit
    assert len(queued) == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_leaves_the_rows_to_the_sweeper(settings, monkeypatch):
    def down(*args):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr("scheduling.tasks.send_reminders.delay", down)
    due_reminders(2)
    assert reminders_dispatch() == 2
    assert status_counts() == {"claimed": 2}


def test_one_welcome_per_patient_in_the_database(clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a)
    welcome_notify(patient=patient)
    welcome_notify(patient=patient)  # asked again: nothing more
    assert patient.reminders.filter(kind="welcome").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            clinic=clinic_a, patient=patient, kind="welcome", due_at=timezone.now()
        )


def test_plan_change_notices_are_numbered_and_one_number_cannot_repeat():
    from types import SimpleNamespace

    course = factories.CourseFactory()
    change = SimpleNamespace(key="infusion-1", old_date=dt.date(2026, 3, 3), new_date=None)
    plan_changes_notify(course=course, changes=[change])
    plan_changes_notify(course=course, changes=[change])
    notices = course.patient.reminders.filter(kind="plan-changed").order_by("sequence")
    assert list(notices.values_list("sequence", flat=True)) == [1, 2]
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            kind="plan-changed",
            sequence=2,
            due_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({"REMINDER_LOCAL_HOUR": "24"}, "REMINDER_LOCAL_HOUR must be an hour from 8 to 20"),
        ({"REMINDER_LOCAL_HOUR": "21"}, "never sent at night"),
        ({"REMINDER_LOCAL_HOUR": "7"}, "REMINDER_LOCAL_HOUR must be at least 8"),
        ({"REMINDER_LOCAL_HOUR": "9am"}, "REMINDER_LOCAL_HOUR must be a whole number"),
        (
            {"REMINDER_LEASE_SECONDS": "5", "EMAIL_TIMEOUT": "3"},
            "REMINDER_LEASE_SECONDS (5) must be at least twice EMAIL_TIMEOUT (3)",
        ),
        ({"EMAIL_TIMEOUT": "90"}, "soft time limit (240 s) must exceed three times"),
        ({"REMINDER_LOCAL_HOUR": "20"}, None),
    ],
)
def test_start_up_refuses_impossible_reminder_settings(variables, complaint):
    from tests.services import production_env

    env = production_env(**variables)
    env.pop("DEPLOYMENT")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if complaint is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert complaint in result.stderr


def test_the_hours_allowed_are_the_hours_reminders_go_out():
    from django.conf import settings

    from scheduling.services.reminders import DAY_ENDS, DAY_STARTS

    hours = settings.REMINDER_DAY_HOURS
    assert (hours[0], hours[-1] + 1) == (DAY_STARTS.hour, DAY_ENDS.hour)


def test_the_lease_check_passes_on_the_defaults():
    from clinic import settings

    assert settings.reminder_timing_errors() == []
    assert outbox.BEGIN.count("lease_expires_at") == 0  # an expired lease never stops a send
