"""reminders_sync: the rows follow the appointment's status, version and time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling.models import AppointmentStatus, Reminder
from scheduling.services.reminders import reminders_sync
from tests import factories
from tests.reminders.helpers import booked_visit

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def rows(appointment, **filters):
    return {
        (row.kind, row.appointment_version, row.status): row
        for row in Reminder.objects.filter(appointment=appointment, **filters)
    }


@time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_booking_a_procedure_writes_3_day_and_1_day_reminders_at_9_local():
    starts = dt.datetime(2026, 6, 10, 14, 30, tzinfo=LONDON)
    appointment = booked_visit(kind="infusion", starts_at=starts)

    found = {row.kind: row for row in Reminder.objects.filter(appointment=appointment)}
    assert set(found) == {"procedure-3d", "procedure-1d"}
    assert found["procedure-3d"].due_at.astimezone(LONDON) == dt.datetime(
        2026, 6, 7, 9, 0, tzinfo=LONDON
    )
    assert found["procedure-1d"].due_at.astimezone(LONDON) == dt.datetime(
        2026, 6, 9, 9, 0, tzinfo=LONDON
    )
    assert found["procedure-1d"].due_at.tzinfo is not None
    assert all(
        row.status == "pending" and row.patient == appointment.patient for row in found.values()
    )


@time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("ultrasound", {"ultrasound-1d"}),
        ("follow-up", {"follow-up-7d", "follow-up-1d"}),
        ("harvest", {"procedure-3d", "procedure-1d"}),
        ("embryo-transfer", {"procedure-3d", "procedure-1d"}),
        ("consult", set()),
    ],
)
def test_each_kind_of_visit_gets_its_reminders(kind, expected):
    appointment = booked_visit(kind=kind, starts_at=dt.datetime(2026, 6, 20, 10, tzinfo=LONDON))
    assert (
        set(Reminder.objects.filter(appointment=appointment).values_list("kind", flat=True))
        == expected
    )


@time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_tentative_appointments_get_no_reminders_until_booked():
    appointment = booked_visit(
        kind="infusion",
        status=AppointmentStatus.TENTATIVE,
        starts_at=dt.datetime(2026, 6, 20, 10, tzinfo=LONDON),
    )
    assert not Reminder.objects.filter(appointment=appointment).exists()
    appointment.status = AppointmentStatus.BOOKED
    appointment.save()
    reminders_sync(appointment=appointment)
    assert Reminder.objects.filter(appointment=appointment, status="pending").count() == 2


@time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_moving_cancels_the_old_version_and_writes_the_new_one():
    appointment = booked_visit(
        kind="infusion", starts_at=dt.datetime(2026, 6, 10, 10, tzinfo=LONDON)
    )
    appointment.starts_at += dt.timedelta(days=2)
    appointment.ends_at += dt.timedelta(days=2)
    appointment.version += 1
    appointment.save()
    reminders_sync(appointment=appointment)

    assert set(rows(appointment)) == {
        ("procedure-3d", 1, "cancelled"),
        ("procedure-1d", 1, "cancelled"),
        ("procedure-3d", 2, "pending"),
        ("procedure-1d", 2, "pending"),
    }
    new_1d = rows(appointment)[("procedure-1d", 2, "pending")]
    assert new_1d.due_at.astimezone(LONDON) == dt.datetime(2026, 6, 11, 9, tzinfo=LONDON)


@time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("status", ["cancelled", "done", "no-show", "tentative"])
def test_an_appointment_no_longer_booked_has_no_live_reminders(status):
    appointment = booked_visit(
        kind="follow-up", starts_at=dt.datetime(2026, 6, 20, 10, tzinfo=LONDON)
    )
    claimed = Reminder.objects.filter(appointment=appointment).first()
    Reminder.objects.filter(pk=claimed.pk).update(status="claimed", claim_token="x")
    appointment.status = status
    appointment.save()
    reminders_sync(appointment=appointment)
    assert set(
        Reminder.objects.filter(appointment=appointment).values_list("status", flat=True)
    ) == {"cancelled"}


@time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_sync_is_idempotent_and_cheap(django_assert_max_num_queries):
    appointment = booked_visit(
        kind="infusion", starts_at=dt.datetime(2026, 6, 10, 10, tzinfo=LONDON)
    )
    before = list(
        Reminder.objects.filter(appointment=appointment).values_list("pk", "due_at", "status")
    )
    with django_assert_max_num_queries(6):
        reminders_sync(appointment=appointment)
    reminders_sync(appointment=appointment)
    after = list(
        Reminder.objects.filter(appointment=appointment).values_list("pk", "due_at", "status")
    )
    assert before == after and len(after) == 2


def test_a_second_row_for_the_same_version_and_kind_is_impossible():
    from django.db import IntegrityError, transaction

    reminder = factories.ReminderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ReminderFactory(appointment=reminder.appointment, kind=reminder.kind)


def test_booked_at_short_notice_the_nearest_reminder_goes_out_now_but_never_at_night():
    with time_machine.travel(dt.datetime(2026, 6, 1, 11, 0, tzinfo=LONDON), tick=False):
        appointment = booked_visit(
            kind="infusion", starts_at=dt.datetime(2026, 6, 2, 15, tzinfo=LONDON)
        )
        (row,) = Reminder.objects.filter(appointment=appointment)
        assert row.kind == "procedure-1d"
        assert row.due_at == dt.datetime(2026, 6, 1, 11, 0, tzinfo=LONDON)
    with time_machine.travel(dt.datetime(2026, 6, 1, 23, 30, tzinfo=LONDON), tick=False):
        late = booked_visit(kind="infusion", starts_at=dt.datetime(2026, 6, 2, 15, tzinfo=LONDON))
        (row,) = Reminder.objects.filter(appointment=late)
        assert row.due_at == dt.datetime(2026, 6, 2, 9, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("zone", "visit_day", "utc_hour"),
    [
        # The day before the visit is the first day of summer time: 09:00 BST is 08:00 UTC.
        ("Europe/London", dt.date(2026, 3, 30), 8),
        ("Europe/London", dt.date(2026, 3, 29), 9),  # the day before is still winter time
        ("Europe/London", dt.date(2026, 10, 26), 9),  # back to GMT on 25 October
        ("America/New_York", dt.date(2026, 3, 9), 13),  # EDT from 8 March
        ("America/New_York", dt.date(2026, 11, 2), 14),  # EST from 1 November
    ],
)
def test_the_day_before_reminder_is_at_9_local_across_dst_changes(zone, visit_day, utc_hour):
    patient = factories.PatientFactory(time_zone=zone)
    with time_machine.travel(dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        appointment = booked_visit(
            kind="ultrasound",
            patient=patient,
            starts_at=dt.datetime.combine(visit_day, dt.time(10), tzinfo=ZoneInfo(zone)),
        )
    (row,) = Reminder.objects.filter(appointment=appointment)
    assert row.due_at.astimezone(dt.UTC).hour == utc_hour
    local = row.due_at.astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour, local.minute) == (visit_day - dt.timedelta(days=1), 9, 0)
