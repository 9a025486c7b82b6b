"""The clinic's settings, closed dates, rooms, staff accounts, reschedule requests and calendar
feeds are audited like patient records; secrets never enter the trail; the table is
append-only in the database on PostgreSQL."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from scheduling import audit
from scheduling.models import (
    AuditEvent,
    AuditLogIsAppendOnly,
    ClosedDate,
    Membership,
    RescheduleRequest,
    User,
)
from scheduling.services.feeds import calendar_feed_create, calendar_feed_revoke
from tests import factories

pytestmark = pytest.mark.django_db


def events(object_type, obj=None, **filters):
    if obj is not None:
        filters["object_id"] = str(obj.pk)
    return list(AuditEvent.objects.filter(object_type=object_type, **filters).order_by("id"))


def everything_recorded() -> str:
    return json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_clinic_settings_and_protocol_parameters_are_audited(clinic_a, admin_a):
    with audit.acting_as(admin_a):
        clinic_a.opens_at = dt.time(7, 30)
        clinic_a.open_weekdays = "mon,tue,wed,thu"
        clinic_a.preferred_infusion_day = 12
        clinic_a.thickness_threshold_mm = Decimal("7.5")
        clinic_a.save()
    (change,) = events("clinic", clinic_a, action="change")
    assert change.changes == {
        "opens_at": ["08:00:00", "07:30:00"],
        "open_weekdays": ["mon,tue,wed,thu,fri", "mon,tue,wed,thu"],
        "preferred_infusion_day": [10, 12],
        "thickness_threshold_mm": ["7.0", "7.5"],
    }
    assert (change.clinic_id, change.actor, change.patient_id) == (clinic_a.pk, admin_a, None)
    created = factories.ClinicFactory(slug="new-clinic")
    (event,) = events("clinic", created)
    assert (event.action, event.clinic_id) == ("create", created.pk)


def test_closed_dates_and_rooms_are_audited_through_the_admin_pages(client, clinic_a, admin_a):
    room = factories.RoomFactory(clinic=clinic_a, name="Theatre 2")
    closed = ClosedDate.objects.create(
        clinic=clinic_a, date=timezone.localdate() + dt.timedelta(days=30), reason="Audit day"
    )
    client.force_login(admin_a)
    assert client.post(reverse("room-toggle", args=[room.pk])).status_code == 302
    assert client.post(reverse("closed-date-delete", args=[closed.pk])).status_code == 302

    created, toggled = events("room", room)
    assert created.changes["name"] == [None, "Theatre 2"]
    assert toggled.changes == {"is_active": [True, False]}
    assert (toggled.actor, toggled.clinic_id, toggled.ip_address) == (
        admin_a,
        clinic_a.pk,
        "127.0.0.1",
    )
    opened, deleted = events("closeddate", closed)
    assert opened.changes["reason"] == [None, "Audit day"]
    assert (deleted.action, deleted.actor, deleted.clinic_id) == ("delete", admin_a, clinic_a.pk)
    assert deleted.changes["date"] == [closed.date.isoformat(), None]


def test_staff_accounts_are_audited_without_the_password_hash(client, clinic_a, clinic_b, admin_a):
    with audit.acting_as(admin_a):
        user = User.objects.create_user(
            username="nadia", email="nadia@clinic.example", password="a-long-passphrase"
        )
        factories.MembershipFactory(user=user, clinic=clinic_a)
        factories.MembershipFactory(user=user, clinic=clinic_b)
        user.email = "n.hart@clinic.example"
        user.is_active = False
        user.save()
        user.set_password("another-long-passphrase")
        user.save()
    created, changed, password = events("user", user, clinic=None) + events(
        "user", user, clinic=clinic_a
    )
    assert created.action == "create"
    assert created.changes["username"] == [None, "nadia"]
    assert created.changes["password"] == [None, audit.HIDDEN]
    assert "last_login" not in created.changes
    assert "date_joined" not in created.changes
    # Her account's changes go to each clinic she works for.
    for clinic in (clinic_a, clinic_b):
        assert [e.changes for e in events("user", user, action="change", clinic=clinic)] == [
            {
                "email": ["nadia@clinic.example", "n.hart@clinic.example"],
                "is_active": [True, False],
            },
            {"password": [audit.HIDDEN, audit.HIDDEN]},
        ]
    assert changed.actor == password.actor == admin_a
    recorded = everything_recorded()
    assert user.password not in recorded
    assert "pbkdf2" not in recorded and "md5$" not in recorded

    # Signing in writes last_login: no event, and no read of the account for the trail.
    user.is_active = True
    user.save()
    before = AuditEvent.objects.count()
    client.force_login(user)
    assert AuditEvent.objects.count() == before


def test_deleting_a_staff_account_keeps_her_events_and_records_the_deletion(clinic_a, admin_a):
    user = factories.UserFactory(username="leaver")
    factories.MembershipFactory(user=user, clinic=clinic_a)
    with audit.acting_as(user):
        factories.PatientFactory(clinic=clinic_a)
    user_id = user.pk
    with audit.acting_as(admin_a):
        user.delete()
    kept = AuditEvent.objects.get(object_type="patient", action="create", actor_label="leaver")
    assert kept.actor is None  # on PostgreSQL the one update the trigger lets through
    deleted = events("user", object_id=str(user_id), action="delete")
    assert [(e.clinic_id, e.actor) for e in deleted] == [(clinic_a.pk, admin_a)]
    assert deleted[0].changes["username"] == ["leaver", None]
    assert [e.action for e in events("membership", clinic=clinic_a)][-1] == "delete"


def test_reschedule_requests_are_audited_with_the_patient(clinic_a, coordinator_a):
    appointment = factories.AppointmentFactory(patient__clinic=clinic_a)
    with audit.acting_as(audit.PATIENT_LINK):
        request = RescheduleRequest.objects.create(
            clinic=clinic_a,
            patient=appointment.patient,
            appointment=appointment,
            appointment_version=appointment.version,
            note="Mornings are hard",
        )
    with audit.acting_as(coordinator_a):
        request.resolved_at = timezone.now()
        request.resolved_by = coordinator_a
        request.save()
    created, resolved = events("reschedulerequest", request)
    assert (created.actor_label, created.patient_id) == ("patient link", appointment.patient_id)
    assert created.changes["note"] == [None, "Mornings are hard"]
    assert resolved.changes["resolved_by"] == [None, coordinator_a.pk]
    assert resolved.actor == coordinator_a


def test_calendar_feeds_are_audited_without_their_token(clinic_a, admin_a, physician_a):
    with audit.acting_as(admin_a):
        feed = calendar_feed_create(
            clinic=clinic_a, room=None, clinician=physician_a, created_by=admin_a
        )
        calendar_feed_revoke(feed=feed)
        calendar_feed_revoke(feed=feed)  # already revoked: nothing changes
    created, revoked = events("calendarfeed", feed)
    assert created.changes["token"] == [None, audit.HIDDEN]
    assert created.changes["clinician"] == [None, physician_a.pk]
    assert revoked.changes == {"revoked_at": [None, feed.revoked_at.isoformat()]}
    assert feed.token not in everything_recorded()


def test_memberships_stay_audited(clinic_a, admin_a, lab_a):
    membership = Membership.objects.get(user=lab_a)
    membership_id = membership.pk
    with audit.acting_as(admin_a):
        membership.delete()
    (deleted,) = events("membership", object_id=str(membership_id), action="delete")
    assert deleted.clinic_id == clinic_a.pk


def test_the_database_refuses_to_change_or_delete_an_event_on_postgresql(clinic_a):
    factories.PatientFactory(clinic=clinic_a)
    event = AuditEvent.objects.first()
    table = AuditEvent._meta.db_table
    statements = [
        f"UPDATE {table} SET actor_label = 'someone else' WHERE id = %s",  # noqa: S608
        f"UPDATE {table} SET changes = '{{}}' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ]
    if connection.vendor == "postgresql":
        for sql in statements:
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [event.pk])
        event.refresh_from_db()
        assert event.actor_label != "someone else"
    else:
        # SQLite has no such trigger (the test runner empties tables with DELETE there); the
        # application's own refusal is what stands (test_audit.py).
        assert connection.vendor == "sqlite"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [table],
            )
            assert cursor.fetchone() == (0,)
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
