"""The audit trail: every write of the audited records, every patient-record view, read-only."""

import csv
import io

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from scheduling import audit
from scheduling.models import AuditEvent, AuditLogIsAppendOnly, Membership
from scheduling.selectors.audit import history_for
from tests import factories

pytestmark = pytest.mark.django_db


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def test_create_change_delete_are_recorded_with_who_and_what(clinic_a, coordinator_a):
    with audit.acting_as(coordinator_a):
        patient = factories.PatientFactory(clinic=clinic_a, first_name="Ann", last_name="Old")
        patient.last_name = "New"
        patient.stated_cycle_length = 31
        patient.save()
        patient.save()  # nothing changed: no event
    created, changed = events(object_type="patient", object_id=str(patient.pk))
    assert created.action == "create"
    assert created.changes["last_name"] == [None, "Old"]
    assert created.actor == coordinator_a
    assert created.actor_label == "carla"
    assert created.clinic == clinic_a
    assert changed.action == "change"
    assert changed.changes == {"last_name": ["Old", "New"], "stated_cycle_length": [28, 31]}
    assert changed.patient_id == patient.pk

    with audit.acting_as("system"):
        room_free = factories.PatientFactory(clinic=clinic_a)
        room_free.delete()
    deleted = events(object_type="patient", action="delete")[0]
    assert deleted.actor is None
    assert deleted.actor_label == "system"
    assert deleted.changes["mrn"] == [room_free.mrn, None]


def test_course_batch_appointment_reminder_and_membership_are_audited(clinic_a):
    appointment = factories.AppointmentFactory(patient__clinic=clinic_a)
    course = factories.CourseFactory(patient=appointment.patient)
    factories.CellBatchFactory(course=course)
    factories.ReminderFactory(appointment=appointment)
    factories.MembershipFactory(clinic=clinic_a, role="lab")
    created = {e.object_type for e in events(action="create")}
    assert {"patient", "course", "cellbatch", "appointment", "reminder", "membership"} <= created
    related = {e.object_type for e in events(patient_id=appointment.patient_id)}
    assert {"patient", "course", "cellbatch", "appointment", "reminder"} <= related


def test_a_request_attributes_writes_to_the_signed_in_staff_member(client, coordinator_a, clinic_a):
    appointment = factories.AppointmentFactory(patient__clinic=clinic_a)
    client.force_login(coordinator_a)
    response = client.post(
        reverse("appointment-cancel", args=[appointment.pk]),
        {"reason": "The patient asked", "then": "plan-again"},
    )
    assert response.status_code < 400
    change = events(object_type="appointment", action="change")[-1]
    assert change.actor == coordinator_a
    assert change.changes["status"][1] == "cancelled"
    assert change.ip_address == "127.0.0.1"


def test_a_rolled_back_write_leaves_no_event(clinic_a):
    from django.db import IntegrityError, transaction

    patient = factories.PatientFactory(clinic=clinic_a)
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        patient.mrn = "X1"
        patient.save()
        factories.PatientFactory(clinic=clinic_a, mrn="X1")
    assert AuditEvent.objects.count() == before


def test_viewing_a_patient_record_is_an_access_event(client, physician_a, patient_a, patient_b):
    client.force_login(physician_a)
    assert client.get(reverse("patient-detail", args=[patient_a.pk])).status_code == 200
    (view,) = events(action="view")
    assert (view.object_type, view.object_id, view.actor) == (
        "patient",
        str(patient_a.pk),
        physician_a,
    )
    # A refused look at another clinic's patient records nothing about that patient.
    assert client.get(reverse("patient-detail", args=[patient_b.pk])).status_code == 404
    assert len(events(action="view")) == 1


def test_history_for_a_patient_includes_her_records(clinic_a, patient_a):
    course = factories.CourseFactory(patient=patient_a)
    request = RequestFactory().get("/")
    request.user = factories.UserFactory(username="viewer")
    audit.record_view(request, patient_a)
    history = list(history_for(patient_a))
    assert history[0].action == "view"  # newest first
    # The course factory records the course's consent form: her record too.
    assert {e.object_type for e in history} == {"patient", "course", "courseconsent"}
    assert [e.object_type for e in history_for(course)] == ["course"]


def test_nobody_can_change_or_delete_an_event(clinic_a, admin_a):
    event = factories.PatientFactory(clinic=clinic_a) and AuditEvent.objects.first()
    event.actor_label = "someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert not model_admin.has_add_permission(request)
    event.refresh_from_db()
    assert event.actor_label != "someone else"


def test_clinic_admin_reads_only_their_clinics_log(client, admin_a, patient_a, patient_b):
    client.force_login(admin_a)
    page = client.get(reverse("audit-log"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/patients/{patient_a.pk}/" in html  # her entries link to her page
    assert patient_b.last_name not in html and f"/patients/{patient_b.pk}/" not in html
    filtered = client.get(reverse("audit-log"), {"action": "view"}).content.decode()
    assert "No events match." in filtered
    assert client.get(reverse("audit-log"), {"since": "not-a-date"}).status_code == 400


def test_csv_export_neutralises_formulas(client, admin_a, clinic_a):
    with audit.acting_as('=HYPERLINK("http://evil")'):
        factories.PatientFactory(clinic=clinic_a, first_name="=1+2")
    client.force_login(admin_a)
    response = client.get(reverse("audit-export"), {"object_type": "patient"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["at (UTC)", "who", "action"]
    created = next(r for r in rows[1:] if r[2] == "create")
    assert created[1].startswith("'=")
    assert '"=1+2"' in created[7]


def test_membership_changes_are_audited_for_the_clinic(clinic_a, admin_a, lab_a):
    membership = Membership.objects.get(user=lab_a)
    with audit.acting_as(admin_a):
        membership.role = "physician"
        membership.save()
    change = events(object_type="membership", action="change")[0]
    assert change.changes == {"role": ["lab", "physician"]}
    assert change.clinic == clinic_a
