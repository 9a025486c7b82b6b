"""Reminders arrive at 09:00 local across DST changes; CD1 requests; the "dates changed" email."""

import datetime as dt
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling.models import AppointmentStatus, PeriodStart, Reminder
from scheduling.services.outbox import reminders_claim, reminders_dispatch, reminders_send
from scheduling.services.reminders import cd1_requests_sync, plan_changes_notify
from tests import factories
from tests.reminders.helpers import booked_visit, smtp_on

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def dispatch_and_send() -> int:
    claim = reminders_claim()
    if not claim["ids"]:
        return 0
    return reminders_send(ids=claim["ids"], token=claim["token"])["sent"]


@pytest.mark.parametrize(
    ("zone", "visit_day"),
    [
        ("Europe/London", dt.date(2026, 3, 30)),  # summer time began on Sunday 29 March
        ("Europe/London", dt.date(2026, 10, 26)),  # winter time began on Sunday 25 October
        ("America/New_York", dt.date(2026, 3, 9)),  # EDT from Sunday 8 March
        ("America/New_York", dt.date(2026, 11, 2)),  # EST from Sunday 1 November
    ],
)
def test_day_before_reminder_arrives_at_9_local_in_dst_weeks(settings, zone, visit_day):
    tz = ZoneInfo(zone)
    patient = factories.PatientFactory(time_zone=zone)
    with time_machine.travel(dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        booked_visit(
            kind="ultrasound", patient=patient,
            starts_at=dt.datetime.combine(visit_day, dt.time(11), tzinfo=tz),
        )  # fmt: skip
    nine = dt.datetime.combine(visit_day - dt.timedelta(days=1), dt.time(9), tzinfo=tz)
    with smtp_on(settings) as server:
        with time_machine.travel(nine - dt.timedelta(minutes=1), tick=False):
            assert dispatch_and_send() == 0
        with time_machine.travel(nine + dt.timedelta(seconds=30), tick=False):
            assert dispatch_and_send() == 1
    (received,) = server.handler.messages
    sent_at = parsedate_to_datetime(received["Date"]).astimezone(tz)
    assert (sent_at.date(), sent_at.hour, sent_at.minute) == (nine.date(), 9, 0)


def test_cd1_requests_go_out_around_the_expected_day_then_daily_until_reported(settings):
    settings.CD1_REQUEST_MAX = 3
    patient = factories.PatientFactory(stated_cycle_length=28)
    PeriodStart.objects.create(patient=patient, date=dt.date(2026, 5, 4), reported_by="staff")
    with time_machine.travel(dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC), tick=False):
        booked_visit(
            kind="infusion", patient=patient, status=AppointmentStatus.TENTATIVE,
            uncertainty_days=3, starts_at=dt.datetime(2026, 6, 11, 9, tzinfo=dt.UTC),
        )  # fmt: skip
        cd1_requests_sync(patient=patient)  # a second call changes nothing
    requests = list(Reminder.objects.filter(patient=patient, kind="cd1-request"))
    london = ZoneInfo("Europe/London")
    assert [(r.expected_on, r.due_at.astimezone(london)) for r in requests] == [
        (dt.date(2026, 6, 1), dt.datetime(2026, 6, 1 + n, 9, tzinfo=london)) for n in range(3)
    ]
    with smtp_on(settings) as server:
        with time_machine.travel(dt.datetime(2026, 6, 1, 9, 5, tzinfo=london), tick=False):
            assert dispatch_and_send() == 1
        PeriodStart.objects.create(patient=patient, date=dt.date(2026, 6, 1), reported_by="patient")
        with time_machine.travel(dt.datetime(2026, 6, 2, 9, 5, tzinfo=london), tick=False):
            assert dispatch_and_send() == 0
    (received,) = server.handler.messages
    assert received["Subject"].endswith("has your period started?")
    assert "/p/period/" in received.get_body(preferencelist=("plain",)).get_content()
    assert [r.status for r in Reminder.objects.filter(kind="cd1-request").order_by("sequence")] == [
        "sent", "cancelled", "pending",
    ]  # fmt: skip


def change(key, old, new):
    return SimpleNamespace(key=key, old_date=old, new_date=new)


def test_one_email_lists_the_moved_dates_in_patient_words(settings, celery_worker):
    from tests.services import wait_until

    course = factories.CourseFactory()
    changes = [
        change("infusion-1", dt.date(2026, 3, 3), dt.date(2026, 3, 5)),
        change("ultrasound-2", dt.date(2026, 4, 1), dt.date(2026, 4, 2)),
        change("transfer-window", dt.date(2026, 6, 1), dt.date(2026, 6, 8)),
        change("follow-up-6", None, dt.date(2026, 9, 1)),
    ]
    from django.db import transaction

    from scheduling.models import EmailMessage

    with transaction.atomic():
        plan_changes_notify(course=course, changes=changes)
    notice = Reminder.objects.get(patient=course.patient, kind="plan-changed")
    assert notice.status == "pending"
    reminders_dispatch()  # what beat runs every minute; the worker sends the notice
    log = wait_until(
        lambda: EmailMessage.objects.filter(patient=course.patient, kind="plan-changed").first(),
        timeout=30, message=celery_worker.output(),
    )  # fmt: skip
    assert EmailMessage.objects.filter(patient=course.patient).count() == 1
    notice.refresh_from_db()
    assert notice.status == "sent"
    assert log.message_id == notice.message_id
    body = log.body_text
    assert "your visit on Tue 3 Mar moves to Thu 5 Mar" in body
    assert "your visit on Wed 1 Apr moves to Thu 2 Apr" in body
    assert "from Mon 1 Jun now starts Mon 8 Jun" in body
    assert "a new visit on Tue 1 Sep" in body  # an added step is listed as new
    for word in ("infusion", "ultrasound", "transfer", "embryo", "stem", "cell"):
        assert word not in (body + log.subject).lower()
    assert course.patient.first_name not in log.subject
