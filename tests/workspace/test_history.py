"""The change history in words (scheduling/history.py): each audited model's common changes
as a sentence in clinic time, by name and role; a re-plan's many changes as one entry."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scheduling.audit import acting_as
from scheduling.history import entries
from scheduling.models import AppointmentStatus, AuditEvent, ReportedBy, RescheduleRequest
from scheduling.services.appointments import appointment_book, appointment_move
from scheduling.services.periods import period_start_report
from scheduling.services.reschedule import reschedule_request_resolve
from tests import factories
from tests.workspace.conftest import infusion

pytestmark = pytest.mark.django_db

# What a coordinator must never read in the history.
RAW = re.compile(
    r"version|status|starts_at|_id\b|_mm\b|\+00:00|UTC|\d{4}-\d{2}-\d{2}|appointment \d|"
    r"thicknessmeasurement|periodstart|reschedulerequest|→"
)


def words(clinic, **filters):
    events = AuditEvent.objects.filter(clinic=clinic, **filters).exclude(action="view")
    return entries(events.order_by("-at", "-id"), clinic=clinic)


def newest(clinic, **filters):
    found = words(clinic, **filters)
    assert found, "no history entry"
    for entry in found:
        for text in [entry.headline, *entry.details]:
            assert not RAW.search(text), text
    return found[0]


def day(value: dt.date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def booked(course, rooms, physician, coordinator, when):
    appointment = infusion(course)
    with acting_as(coordinator):
        appointment_book(
            appointment=appointment, starts_at=when, room=rooms[0], clinician=physician
        )
    appointment.refresh_from_db()
    return appointment


@pytest.fixture
def sara(clinic):
    user = factories.UserFactory(username="sara", first_name="Sara", last_name="Patel")
    factories.MembershipFactory(clinic=clinic, user=user, role="coordinator")
    return user


def test_booking_names_the_visit_time_room_clinician_and_who(
    clinic, planned_course, rooms, physician, sara
):
    planned = infusion(planned_course).starts_at.astimezone(clinic.zone).date()
    when = dt.datetime.combine(planned, dt.time(10, 30), tzinfo=clinic.zone)
    booked(planned_course, rooms, physician, sara, when)

    entry = newest(clinic, actor=sara)
    assert entry.headline == (
        f"Infusion 1 booked for {day(planned)} 10:30 in Procedure room 1 with Pat Doctor"
        " by Sara Patel (coordinator)"
    )
    assert entry.who == "Sara Patel (coordinator)"
    assert "Reminder scheduled: Procedure in 3 days" in entry.details


def test_a_move_says_from_and_to_in_clinic_time(clinic, planned_course, rooms, physician, sara):
    planned = infusion(planned_course).starts_at.astimezone(clinic.zone).date()
    when = dt.datetime.combine(planned, dt.time(9), tzinfo=clinic.zone)
    appointment = booked(planned_course, rooms, physician, sara, when)
    later = when + dt.timedelta(days=1, hours=2)
    with acting_as(sara):
        appointment_move(appointment=appointment, starts_at=later)

    entry = newest(clinic, actor=sara)
    assert entry.headline.startswith(
        f"Infusion 1 moved from {day(planned)} 09:00 to {day(later.date())} 11:00"
        " by Sara Patel (coordinator)"
    )


def test_a_period_reported_by_the_patient_and_its_replan_are_one_entry(clinic, planned_course):
    today = timezone.localdate(timezone=clinic.zone)
    before = AuditEvent.objects.count()
    with acting_as("patient link"):
        period_start_report(
            patient=planned_course.patient, date=today, reported_by=ReportedBy.PATIENT
        )
    assert AuditEvent.objects.count() - before > 3  # the re-plan wrote many events

    (entry, *_) = words(clinic, id__gt=0)
    assert entry.headline == f"Period start {today.day} {today:%b %Y} reported by the patient"
    assert entry.who == "the patient"
    assert entry.details, "the re-plan's changes open below the headline"
    assert any("Infusion 1" in line or "ultrasound" in line for line in entry.details)
    assert any(re.match(r"\d+ reminders (cancelled|scheduled)", line) for line in entry.details)
    newest(clinic)  # and nothing raw in any of it


def test_thickness_recorded_for_an_ultrasound(clinic, planned_course, physician):
    ultrasound = planned_course.appointments.get(step_key="ultrasound-1")
    on = ultrasound.starts_at.astimezone(clinic.zone).date()
    with acting_as(physician):
        planned_course.measurements.create(
            appointment=ultrasound, measured_on=on, thickness_mm=Decimal("7.4")
        )
    entry = newest(clinic, actor=physician)
    assert entry.headline == (
        f"Thickness 7.4 mm recorded for the ultrasound after infusion 1 on {day(on)}"
        " by Pat Doctor (physician)"
    )


def test_a_result_that_marks_its_visit_done_is_one_entry(clinic, planned_course, physician):
    ultrasound = planned_course.appointments.get(step_key="ultrasound-1")
    on = ultrasound.starts_at.astimezone(clinic.zone).date()
    with acting_as(physician):  # as services/recording.py does: the visit done, its result
        ultrasound.status = AppointmentStatus.DONE
        ultrasound.save()
        planned_course.measurements.create(
            appointment=ultrasound, measured_on=on, thickness_mm=Decimal("7.4")
        )
    (entry, *_) = words(clinic, actor=physician)
    assert entry.headline.startswith("Thickness 7.4 mm recorded for the ultrasound")
    assert entry.details == ["The ultrasound after infusion 1 recorded as done"]


def test_cancel_no_show_and_confirm(clinic, patient_a, sara):
    with acting_as(sara):
        visit = factories.AppointmentFactory(patient=patient_a, kind="consult")
    for status, reason, said in (
        (AppointmentStatus.CONFIRMED, "", "Consultation confirmed"),
        (AppointmentStatus.NO_SHOW, "", "Consultation marked as a no-show"),
        (AppointmentStatus.CANCELLED, "She is unwell", "Consultation cancelled (She is unwell)"),
    ):
        with acting_as(sara):
            visit.status, visit.cancel_reason = status, reason
            visit.save()
        assert newest(clinic, actor=sara).headline == f"{said} by Sara Patel (coordinator)"


def test_entries_are_in_the_clinics_time_zone(clinic_b, coordinator_b):
    patient = factories.PatientFactory(clinic=clinic_b)
    at = dt.datetime(2026, 12, 2, 3, 30, tzinfo=dt.UTC)  # 22:30 the day before in New York
    with time_machine.travel(at, tick=False), acting_as(coordinator_b):
        patient.phone = "+1 212 555 0100"
        patient.save()
    entry = newest(clinic_b, actor=coordinator_b)
    assert entry.when == "Tue 1 Dec 2026 22:30"
    assert entry.headline.startswith("Phone set to +1 212 555 0100 by")


def test_course_start_and_status(clinic, patient_a, sara):
    with acting_as(sara):
        course = factories.CourseFactory(patient=patient_a, planned_infusions=2, consent=False)
    assert newest(clinic, actor=sara, object_type="course").headline.startswith(
        "Course started: Bone marrow (BM-MSC), intrauterine"
    )
    assert (
        "2 infusions planned by Sara Patel (coordinator)"
        in newest(clinic, actor=sara, object_type="course").headline
    )
    with acting_as(None):
        course.status = "active"
        course.save()
    assert newest(clinic, object_type="course").headline == "Course now active (automatically)"


def test_period_start_recorded_corrected_and_deleted_by_staff(clinic, patient_a, sara):
    with acting_as(sara):
        start = patient_a.period_starts.create(date=dt.date(2026, 11, 3), reported_by="staff")
    assert newest(clinic, actor=sara).headline == (
        "Period start 3 Nov 2026 recorded by Sara Patel (coordinator)"
    )
    with acting_as(sara):
        start.date = dt.date(2026, 11, 4)
        start.save()
    assert newest(clinic, actor=sara).headline == (
        "Period start corrected from 3 Nov 2026 to 4 Nov 2026 by Sara Patel (coordinator)"
    )
    with acting_as(sara):
        start.delete()
    assert newest(clinic, actor=sara).headline.startswith("Period start 4 Nov 2026 deleted")


def test_reschedule_request_and_its_resolution(clinic, patient_a, sara):
    visit = factories.AppointmentFactory(patient=patient_a, kind="ultrasound")
    with acting_as("patient link"):
        request = RescheduleRequest.objects.create(
            clinic=clinic,
            patient=patient_a,
            appointment=visit,
            appointment_version=visit.version,
            note="Mornings are hard for me",
        )
    assert newest(clinic, object_type="reschedulerequest").headline == (
        "The patient asked to reschedule ultrasound: “Mornings are hard for me”"
    )
    with acting_as(sara):
        reschedule_request_resolve(
            request=request, resolution="Moved to Thu 10 Dec 14:00", actor=sara
        )
    assert newest(clinic, actor=sara).headline == (
        "Reschedule request resolved: Moved to Thu 10 Dec 14:00 by Sara Patel (coordinator)"
    )


def test_staff_joining_the_clinic(clinic, sara):
    assert any(
        e.headline == "Sara Patel joined the clinic as coordinator"
        for e in words(clinic, object_type="membership")
    )


def test_the_patient_page_and_the_audit_log_read_in_words(
    staff_client, clinic, planned_course, rooms, physician, sara, admin_a
):
    planned = infusion(planned_course).starts_at.astimezone(clinic.zone).date()
    when = dt.datetime.combine(planned, dt.time(10, 30), tzinfo=clinic.zone)
    booked(planned_course, rooms, physician, sara, when)
    sentence = f"Infusion 1 booked for {day(planned)} 10:30 in Procedure room 1 with Pat Doctor"

    page = staff_client(sara).get(reverse("patient-detail", args=[planned_course.patient_id]))
    history = re.search(r'data-testid="history">(.*?)</ol>', page.content.decode(), re.S)[1]
    assert sentence in history
    assert "<details" in history  # the course's creation with its planned visits, folded
    assert "appointment" not in history and "version" not in history

    log = staff_client(admin_a).get(reverse("audit-log")).content.decode()
    assert sentence in log
    assert f"Alice Archer ({planned_course.patient.mrn})" in log
