"""Every path that writes an audited model leaves an event, bulk and raw SQL included.

One test reads the source of scheduling/ and finds every write that bypasses the model signals
(`QuerySet.update()`, `bulk_create()`, `bulk_update()`, raw `execute()`); each must record
its events in the same function, or be one of the exemptions below with its reason. The other
tests drive each such path and look at the events it left.
"""

import ast
import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

import scheduling
from scheduling import audit
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    CalendarFeed,
    CellBatch,
    Clinic,
    ClosedDate,
    Course,
    Membership,
    Patient,
    PeriodStart,
    Reminder,
    ReminderKind,
    ReminderStatus,
    RescheduleRequest,
    Room,
    ThicknessMeasurement,
    User,
)
from scheduling.services import outbox, outbox_rows
from scheduling.services.reminders import cd1_requests_sync, reminders_sync, welcome_notify
from scheduling.smtp_delivery import PermanentFailure, TemporaryFailure
from tests import factories
from tests.reminders.helpers import booked_visit, due_reminders, smtp_on

pytestmark = pytest.mark.django_db

SOURCE = Path(scheduling.__file__).parent
# Calls that write without model signals; `update` only with field=value arguments (a
# QuerySet's, not a dict's or a set's).
BYPASSING = {"update", "bulk_create", "bulk_update", "execute", "executemany", "_raw_delete"}
RAW_HELPERS = {"_execute", "_returning"}  # services/outbox.py: its raw statements
RECORDERS = {"update_rows", "record_created", "write", "write_prepared"}

# (file, function): why its writes bypass the trail. Nothing else may.
EXEMPT = {
    # Decided in issue 13: re-plan bookkeeping the re-plan derives, in IGNORED_FIELDS.
    ("services/planning.py", "_store_bookkeeping"): (
        "Course.replan_requested_at, plan_problem and waits_for_dose"
    ),
    ("services/replans.py", "clinic_replan_request"): "Course.replan_requested_at (re-plan mark)",
    ("services/replans.py", "replan_run_execute"): "ReplanRun progress: not an audited model",
    ("emails.py", "log_email"): "the email log (EmailMessage): not an audited model",
    ("emails.py", "reminder_email"): "dict.update of a template context",
    ("health.py", "check_database"): "SELECT 1",
    ("selectors/calendar.py", "calendar_rows"): "a read",
    ("selectors/calendar.py", "__init__"): "a read (the visible patients' period starts)",
    ("services/outbox.py", "_execute"): "the raw-SQL helper: each caller is checked",
    ("services/outbox.py", "_returning"): "the raw-SQL helper: each caller is checked",
    ("audit.py", "update_rows"): "the recorder itself",
    ("audit.py", "write"): "the recorder itself (AuditEvent)",
    ("audit.py", "write_prepared"): "the recorder itself (AuditEvent)",
    ("demo.py", "_periods"): "the demo clinic's made-up history (make run), no person's act",
    # Issue 15: the upgrade's fill (migration 0010) of the decided response each course's
    # results already decided, no person's act; every later change is a re-plan's (audited).
    ("services/course_responses.py", "_fill"): "Course.response_on/response_mm (upgrade)",
}

# Issue 13: at least these (patient records; what clinical decisions and access rest on).
REQUIRED = {
    Patient,
    Course,
    CellBatch,
    Appointment,
    Reminder,
    Membership,
    PeriodStart,
    ThicknessMeasurement,
    Clinic,
    ClosedDate,
    Room,
    User,
    RescheduleRequest,
    CalendarFeed,
}


def _write_sites():
    """{(file, function): {"writes": [(call, line)], "records": bool}} over scheduling/."""
    sites: dict[tuple[str, str], dict] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = path.relative_to(SOURCE).as_posix()
        for function in _functions(ast.parse(path.read_text())):
            writes, records = [], _hands_back_events(function)
            for node in _own_nodes(function):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if _bypasses(called, node):
                    writes.append((called, node.lineno))
                elif (
                    called in RECORDERS
                    and isinstance(func, ast.Attribute)
                    and getattr(func.value, "id", "") == "audit"
                ):
                    records = True
            if writes:
                sites[(name, function.name)] = {"writes": writes, "records": records}
    return sites


def _bypasses(called: str, call: ast.Call) -> bool:
    if called in RAW_HELPERS:
        return True
    return called in BYPASSING and (called != "update" or bool(call.keywords))


def _functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _own_nodes(function):
    """The nodes of `function`, not those of functions nested in it (checked on their own)."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _hands_back_events(function) -> bool:
    """A function annotated `-> list[...AuditEvent]` returns its events for its caller to
    write in the caller's one INSERT (outbox `_Batch._mark_delivered`)."""
    return function.returns is not None and "AuditEvent" in ast.unparse(function.returns)


def test_the_audited_models_are_connected_to_the_trail():
    assert set(audit.AUDITED) >= REQUIRED
    for model in audit.AUDITED:
        assert post_save.has_listeners(model), model
        assert post_delete.has_listeners(model), model


def test_every_write_that_bypasses_the_signals_records_its_events_or_is_exempt():
    sites = _write_sites()
    unrecorded = {
        site: data["writes"]
        for site, data in sites.items()
        if not data["records"] and site not in EXEMPT
    }
    assert unrecorded == {}, "record these writes (scheduling/audit.py) or exempt them here"
    # The exemptions are still there (a stale one would hide a new write in that function).
    assert set(EXEMPT) <= set(sites)
    for site in EXEMPT:
        assert not sites[site]["records"] or site[0] == "audit.py", site
    # The paths that record explicitly, with how many bypassing writes each makes: a new
    # write in one of them changes its count and needs a look (and a test below).
    recorded = {site: len(data["writes"]) for site, data in sites.items() if data["records"]}
    assert recorded == {
        ("services/outbox.py", "reminders_claim"): 1,  # the claim
        ("services/outbox.py", "renew"): 1,  # the lease heartbeat
        ("services/outbox.py", "_mark_delivered"): 2,  # MARK_SENT, and the email log line
        ("services/outbox.py", "begin"): 1,  # BEGIN: an attempt
        ("services/reminders.py", "reminders_sync"): 1,  # new rows
        ("services/reminders.py", "cd1_requests_sync"): 1,  # new period requests
        ("services/reminders.py", "welcome_notify"): 1,  # the welcome
    }


def events(**filters):
    return list(AuditEvent.objects.filter(object_type="reminder", **filters).order_by("id"))


# Writing the outbox (services/reminders.py) ---------------------------------------------------


def test_reminder_rows_written_in_bulk_are_created_events_and_cancelled_ones_changes(clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a)
    with audit.acting_as("carla"):
        visit = booked_visit(kind="infusion", patient=patient)
    rows = list(Reminder.objects.filter(appointment=visit).order_by("pk"))
    assert len(rows) == 2
    created = events(action="create")
    assert [e.object_id for e in created] == [str(row.pk) for row in rows]
    for event, row in zip(created, rows, strict=True):
        assert (event.actor_label, event.clinic_id, event.patient_id) == (
            "carla",
            clinic_a.pk,
            patient.pk,
        )
        assert event.changes["status"] == [None, "pending"]
        assert event.changes["kind"] == [None, row.kind]

    visit.status = AppointmentStatus.CANCELLED
    visit.save()
    reminders_sync(appointment=visit)
    cancelled = events(action="change")
    assert {e.object_id for e in cancelled} == {str(row.pk) for row in rows}
    assert all(e.changes == {"status": ["pending", "cancelled"]} for e in cancelled)
    reminders_sync(appointment=visit)  # nothing left to cancel: no event
    assert len(events(action="change")) == 2

    # Booked again at the same time and version: the same rows come back, and say so.
    visit.status = AppointmentStatus.BOOKED
    visit.save()
    reminders_sync(appointment=visit)
    revived = events(action="change")[2:]
    assert {e.object_id for e in revived} == {str(row.pk) for row in rows}
    assert all(e.changes["status"] == ["cancelled", "pending"] for e in revived)
    assert len(events(action="create")) == 2


def test_period_requests_and_the_welcome_are_recorded_once(clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a)
    PeriodStart.objects.create(
        patient=patient, date=timezone.localdate() - dt.timedelta(days=5), reported_by="staff"
    )
    factories.AppointmentFactory(
        patient=patient,
        status=AppointmentStatus.TENTATIVE,
        uncertainty_days=3,
        starts_at=timezone.now() + dt.timedelta(days=40),
        ends_at=timezone.now() + dt.timedelta(days=40, minutes=30),
    )
    cd1_requests_sync(patient=patient)
    requests = Reminder.objects.filter(patient=patient, kind=ReminderKind.CD1_REQUEST)
    assert requests.exists()
    created = {e.object_id for e in events(action="create")}
    assert created == {str(pk) for pk in requests.values_list("pk", flat=True)}
    cd1_requests_sync(patient=patient)  # the same expectation: nothing written, nothing recorded
    assert len(events()) == len(created)

    patient.appointments.update(status=AppointmentStatus.CANCELLED)
    cd1_requests_sync(patient=patient)  # nothing waits for her period: the requests go
    cancelled = events(action="change")
    assert {e.object_id for e in cancelled} == created
    assert all(e.changes["status"] == ["pending", "cancelled"] for e in cancelled)

    welcome_notify(patient=patient)
    welcome_notify(patient=patient)
    (welcome,) = Reminder.objects.filter(patient=patient, kind=ReminderKind.WELCOME)
    assert [e.action for e in events(object_id=str(welcome.pk))] == ["create"]


# Sending the outbox (services/outbox.py) ------------------------------------------------------


@pytest.mark.services
def test_a_send_records_claim_attempt_and_sent_with_one_insert_per_transaction(
    settings, clinic_a, django_assert_max_num_queries
):
    patient = factories.PatientFactory(clinic=clinic_a)
    rows = due_reminders(3, patient=patient)
    ids = [row.pk for row in rows]
    claim = outbox.reminders_claim()
    assert claim["ids"] == ids
    (claimed,) = events(action="change")
    assert claimed.object_id == audit.MANY
    assert claimed.clinic_id == clinic_a.pk
    assert claimed.changes["ids"] == ids
    assert claimed.changes["status"] == ["pending", "claimed"]
    assert claimed.changes["claim_token"] == ["", claim["token"]]

    inserts = []

    def count_inserts(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT INTO") and "auditevent" in sql:
            inserts.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with smtp_on(settings), connection.execute_wrapper(count_inserts):
        assert outbox.reminders_send(ids=ids, token=claim["token"])["sent"] == 3
    # One per transaction: each row's begin (with the previous row's "sent"), then the flush.
    assert inserts == [True] * 4

    for row in rows:
        history = [e.changes for e in events(object_id=str(row.pk), action="change")]
        assert history == [
            {"attempts": [0, 1], "send_started_at": [None, history[0]["send_started_at"][1]]},
            {
                "status": ["claimed", "sent"],
                "sent_at": [None, history[1]["sent_at"][1]],
                "claim_token": [claim["token"], ""],
            },
        ]
        assert all(e.patient_id == patient.pk for e in events(object_id=str(row.pk)))


def test_a_lease_renewal_is_one_event_per_clinic_listing_the_rows(settings, clinic_a, clinic_b):
    rows = [*due_reminders(2, patient=factories.PatientFactory(clinic=clinic_a))]
    rows += due_reminders(1, patient=factories.PatientFactory(clinic=clinic_b))
    token = outbox.reminders_claim()["token"]
    outbox._Batch(token).renew()  # a fresh lease: nothing to renew, nothing recorded
    assert len(events(object_id=audit.MANY)) == 2  # the claim's, one per clinic
    half_a_lease_later = dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS * 0.6)
    with time_machine.travel(timezone.now() + half_a_lease_later, tick=False):
        outbox._Batch(token).renew()
    renewed = events(object_id=audit.MANY)[2:]
    assert {e.clinic_id: e.changes["ids"] for e in renewed} == {
        clinic_a.pk: [rows[0].pk, rows[1].pk],
        clinic_b.pk: [rows[2].pk],
    }
    assert all(e.changes["lease_expires_at"][0].startswith("< ") for e in renewed)


def test_the_sweep_records_each_row_it_returns_or_marks_missed(settings, clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a)
    first, second = due_reminders(2, patient=patient)
    claim = outbox.reminders_claim()
    later = timezone.now() + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 3600)
    outbox.reminders_sweep(now=later)
    returned = events(action="change", object_id__in=[str(first.pk), str(second.pk)])
    assert len(returned) == 2
    assert returned[0].changes["status"] == ["claimed", "pending"]
    assert returned[0].changes["claim_token"] == [claim["token"], ""]

    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        outbox.reminders_sweep()
    missed = events(action="change")[-2:]
    assert {e.object_id for e in missed} == {str(first.pk), str(second.pk)}
    assert missed[0].changes["status"] == ["pending", "missed"]
    assert missed[0].changes["last_error"][1].startswith("Not sent in time")


def test_retry_failure_and_cancelling_a_claimed_row_are_recorded(clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a)
    retried, failed, moved, cancelled = due_reminders(4, patient=patient)
    token = outbox.reminders_claim()["token"]
    for row in (retried, failed, moved, cancelled):
        row.refresh_from_db()
    outbox_rows.retry(retried, token, TemporaryFailure("421 busy"))
    outbox_rows.fail(failed, token, PermanentFailure("550 no such mailbox"))
    Appointment.objects.filter(pk=moved.appointment_id).update(version=9)
    outbox_rows.not_begun(moved, token)
    outbox_rows.cancel_if_mine(cancelled, token)
    outbox_rows.cancel_if_mine(cancelled, token)  # no longer ours: nothing changes or is recorded

    def last(row):
        return events(object_id=str(row.pk))[-1].changes

    assert last(retried)["status"] == ["claimed", "pending"]
    assert "421 busy" in last(retried)["last_error"][1]
    assert last(failed)["status"] == ["claimed", "failed"]
    assert last(moved)["status"] == ["claimed", "cancelled"]
    assert last(cancelled)["status"] == ["claimed", "cancelled"]
    assert len(events(object_id=str(cancelled.pk))) == 1  # (written in bulk by the test helper)
    assert Reminder.objects.get(pk=cancelled.pk).status == ReminderStatus.CANCELLED
