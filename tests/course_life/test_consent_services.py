"""Consent per course (services/consent.py, selectors/consent.py): recording it, the gate on
booking, moving and recording a harvest or an infusion, and its withdrawal."""

import datetime as dt
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from scheduling.emails import reminder_email, render_email
from scheduling.models import (
    AppointmentStatus,
    AuditEvent,
    CourseConsent,
    CourseStatus,
    PeriodStart,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.selectors.consent import consent_in_force, courses_with_consent, has_consent
from scheduling.services import consent, recording
from scheduling.services.appointments import (
    AppointmentRefused,
    appointment_book,
    appointment_move,
)
from scheduling.services.outcomes import course_reopen
from scheduling.services.planning import course_replan
from tests import factories

D = dt.date
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MISSING_INFUSION = (
    "No consent is recorded for this course: record the signed consent form (version, date, "
    "witness) before booking the infusion."
)


@pytest.fixture
def room(clinic_a):
    return factories.RoomFactory(clinic=clinic_a, name="Procedure room")


def live(course, key):
    return course.appointments.exclude(
        status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    ).get(step_key=key)


def at(course, day, hour=10):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=course.clinic.zone)


def local_day(appointment):
    return appointment.starts_at.astimezone(appointment.clinic.zone).date()


SIGNED = D(2026, 1, 10)


@pytest.fixture(autouse=True)
def _own_private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def sign(course, on=SIGNED, **fields):
    values = {"form_version": "2026-01", "signed_on": on, "witnessed_by": "Nurse Wu"} | fields
    return consent.consent_record(course=course, **values)


@pytest.fixture
def bare_course(clinic_a, today):
    """A bone-marrow course with no consent, its harvest not done yet."""
    patient = factories.PatientFactory(clinic=clinic_a)
    for day in (D(2026, 1, 5), D(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    course = factories.CourseFactory(patient=patient, not_before=D(2026, 2, 2), consent=False)
    course_replan(course=course, notify=False)
    return course


# The gate ---------------------------------------------------------------------------------


def test_an_infusion_is_not_booked_without_consent_and_is_once_it_is_recorded(
    course, room, physician_a
):
    course.consents.all().delete()
    infusion = live(course, "infusion-1")
    day = local_day(infusion)
    with pytest.raises(AppointmentRefused) as refusal:
        appointment_book(
            appointment=infusion, starts_at=at(course, day), room=room, clinician=physician_a
        )
    assert str(refusal.value) == MISSING_INFUSION
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.TENTATIVE and infusion.room is None

    sign(course)
    appointment_book(
        appointment=infusion, starts_at=at(course, day), room=room, clinician=physician_a
    )
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.BOOKED


def test_moving_a_harvest_or_an_infusion_needs_consent(bare_course, course):
    course.consents.all().delete()
    infusion = live(course, "infusion-1")
    with pytest.raises(AppointmentRefused, match="before moving the infusion"):
        appointment_move(
            appointment=infusion, starts_at=at(course, local_day(infusion) + dt.timedelta(1))
        )
    harvest = live(bare_course, "harvest")
    with pytest.raises(AppointmentRefused, match="before moving the harvest"):
        appointment_move(
            appointment=harvest, starts_at=at(bare_course, local_day(harvest) + dt.timedelta(1))
        )
    assert live(bare_course, "harvest").version == harvest.version


def test_a_harvest_is_recorded_as_done_only_with_consent_signed_by_that_day(bare_course):
    with pytest.raises(ValidationError) as refusal:
        recording.harvest_record_done(course=bare_course, on=D(2026, 2, 20), notify=False)
    assert refusal.value.messages == [
        "No consent is recorded for this course: record the signed consent form (version, "
        "date, witness) before recording the harvest as done."
    ]
    assert not bare_course.batches.exists()

    sign(bare_course, on=D(2026, 2, 10))
    with pytest.raises(ValidationError, match="signed on Tue 10 Feb 2026, after Tue 3 Feb 2026"):
        recording.harvest_record_done(course=bare_course, on=D(2026, 2, 3), notify=False)
    batch = recording.harvest_record_done(course=bare_course, on=D(2026, 2, 11), notify=False)
    assert batch.expansion_started_on == D(2026, 2, 11)


def test_an_infusion_is_recorded_as_done_only_with_consent(course):
    course.consents.all().delete()
    infusion = live(course, "infusion-1")
    with pytest.raises(ValidationError, match="before recording the infusion as done"):
        recording.appointment_mark_done(appointment=infusion, on=D(2026, 2, 25), notify=False)
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.TENTATIVE
    assert course.batches.get().doses_used == 0


def test_other_visits_need_no_consent(course, room, physician_a):
    course.consents.all().delete()
    ultrasound = live(course, "ultrasound-1")
    appointment_book(
        appointment=ultrasound,
        starts_at=at(course, local_day(ultrasound)),
        room=room,
        clinician=physician_a,
    )
    assert live(course, "ultrasound-1").status == AppointmentStatus.BOOKED


def test_the_one_answer_for_one_course_and_for_many(course, bare_course):
    assert has_consent(course) and not has_consent(bare_course)
    assert courses_with_consent([course.pk, bare_course.pk, None]) == {course.pk}
    assert courses_with_consent([]) == frozenset()
    signed = sign(bare_course, on=D(2026, 2, 10))
    assert consent_in_force(bare_course) == signed
    assert consent_in_force(bare_course, on=D(2026, 2, 9)) is None


# Recording consent ----------------------------------------------------------------------------


def test_consent_is_recorded_with_who_recorded_it_and_audited(bare_course, coordinator_a):
    row = sign(bare_course, recorded_by=coordinator_a)
    assert (row.form_version, row.signed_on, row.witnessed_by) == (
        "2026-01",
        D(2026, 1, 10),
        "Nurse Wu",
    )
    assert row.recorded_by == coordinator_a and row.in_force
    event = AuditEvent.objects.get(object_type="courseconsent", object_id=str(row.pk))
    assert event.patient_id == bare_course.patient_id
    assert event.changes["witnessed_by"] == [None, "Nurse Wu"]
    # a second submit of the same form changes nothing
    assert sign(bare_course, recorded_by=coordinator_a) == row
    assert bare_course.consents.count() == 1


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"signed_on": D(2026, 2, 26)}, "signed_on"),  # tomorrow
        ({"witnessed_by": "  "}, "witnessed_by"),
        ({"form_version": ""}, "form_version"),
    ],
)
def test_bad_consent_is_refused_with_its_field(bare_course, fields, field):
    with pytest.raises(ValidationError) as refusal:
        sign(bare_course, **fields)
    assert field in refusal.value.message_dict
    assert not bare_course.consents.exists()


def test_no_consent_is_recorded_on_a_closed_course(bare_course):
    from scheduling.services.outcomes import course_close

    course_close(course=bare_course, status=CourseStatus.LOST_TO_FOLLOW_UP)
    with pytest.raises(ValidationError, match="reopen it first"):
        sign(bare_course)


# The signed document --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,content_type,extension",
    [(PDF, "application/pdf", "pdf"), (PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg")],
)
def test_the_document_is_stored_privately_under_our_own_name(
    bare_course, content, content_type, extension
):
    upload = SimpleUploadedFile("../../Jane Doe <script>.pdf", content, content_type)
    row = sign(bare_course, document=upload)
    name = row.document.name
    assert name.startswith(f"consent/{bare_course.clinic_id}/{bare_course.pk}/consent-")
    assert name.endswith(f".{extension}") and "Jane" not in name and ".." not in name
    path = Path(row.document.path)
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    assert path.resolve().is_relative_to(root)
    assert not path.resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="no URL"):
        row.document.url  # noqa: B018 - never a public address


@pytest.mark.parametrize(
    "content,content_type,message",
    [
        (b"MZ\x90\x00 an executable", "application/pdf", "PDF, PNG or JPEG"),
        (b"<html><script>alert(1)</script>", "application/pdf", "PDF, PNG or JPEG"),
        (PDF, "image/png", "PDF, PNG or JPEG"),  # content and declared type disagree
        (PNG, "text/html", "PDF, PNG or JPEG"),
        (b"", "application/pdf", "empty"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf", "at most 10 MB"),
    ],
)
def test_a_document_that_is_not_a_pdf_png_or_jpeg_of_10_mb_is_refused(
    bare_course, content, content_type, message
):
    upload = SimpleUploadedFile("form.pdf", content, content_type)
    with pytest.raises(ValidationError) as refusal:
        sign(bare_course, document=upload)
    assert message in " ".join(refusal.value.message_dict["document"])
    assert not CourseConsent.objects.exists()
    assert not any(Path(settings.PRIVATE_MEDIA_ROOT).rglob(f"consent/*/{bare_course.pk}/*"))


def test_exactly_10_mb_is_accepted(bare_course):
    content = b"%PDF-" + b"0" * (10 * 1024 * 1024 - 5)
    row = sign(bare_course, document=SimpleUploadedFile("f.pdf", content, "application/pdf"))
    assert row.document.size == 10 * 1024 * 1024


def test_a_scan_added_later_goes_on_the_same_consent(bare_course):
    row = sign(bare_course)
    again = sign(bare_course, document=SimpleUploadedFile("f.pdf", PDF, "application/pdf"))
    assert again.pk == row.pk and again.document
    assert bare_course.consents.count() == 1


# Withdrawal -----------------------------------------------------------------------------------


def test_a_withdrawal_closes_the_course_and_tells_the_patient_once_without_a_diagnosis(
    course, room, physician_a
):
    infusion = live(course, "infusion-1")
    appointment_book(
        appointment=infusion, starts_at=at(course, local_day(infusion)), room=room,
        clinician=physician_a,
    )  # fmt: skip
    visit_reminders = Reminder.objects.filter(appointment__course=course)
    assert visit_reminders.filter(status=ReminderStatus.PENDING).exists()
    cd1 = Reminder.objects.filter(patient=course.patient, kind=ReminderKind.CD1_REQUEST)
    assert cd1.filter(status=ReminderStatus.PENDING).exists()

    recorded = consent.consent_withdraw(
        course=course, on=D(2026, 2, 25), reason="Moving abroad for her stem-cell treatment"
    )
    course.refresh_from_db()
    assert course.status == CourseStatus.WITHDRAWN
    assert course.closed_on == D(2026, 2, 25)
    assert recorded.notes[0] == "Withdrawal of consent recorded."
    row = course.consents.get()
    assert row.withdrawn_on == D(2026, 2, 25) and not row.in_force
    assert row.withdrawal_reason == "Moving abroad for her stem-cell treatment"
    assert not course.appointments.filter(
        status__in=(AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED)
    ).exists()
    assert not visit_reminders.filter(status=ReminderStatus.PENDING).exists()
    assert not cd1.filter(status=ReminderStatus.PENDING).exists()

    notices = Reminder.objects.filter(patient=course.patient, kind=ReminderKind.PLAN_CHANGED)
    assert notices.count() == 1
    notice = notices.get()
    assert notice.status == ReminderStatus.PENDING
    subject, text, html = render_email(reminder_email(notice))
    assert "No longer needed" in text
    assert "your visit on" in text and "is no longer needed" in text
    for secret in ("consent", "withdr", "Moving abroad", "stem", "infusion", "endometri",
                   "pregnan", "harvest", "cell"):  # fmt: skip
        assert secret.lower() not in (subject + text + html).lower(), secret

    # withdrawn consent gates the reopened course until a new form is signed
    course_reopen(course=course)
    infusion = live(course, "infusion-1")
    with pytest.raises(
        AppointmentRefused, match="withdrew her consent to this course on Wed 25 Feb"
    ):
        appointment_book(
            appointment=infusion, starts_at=at(course, local_day(infusion)), room=room,
            clinician=physician_a,
        )  # fmt: skip


def test_a_withdrawal_needs_consent_in_force_and_a_day_after_it_was_signed(course, bare_course):
    with pytest.raises(ValidationError, match="No consent is in force"):
        consent.consent_withdraw(course=bare_course, on=D(2026, 2, 25))
    signed = course.consents.get().signed_on
    with pytest.raises(ValidationError) as refusal:
        consent.consent_withdraw(course=course, on=signed - dt.timedelta(days=1))
    assert "on" in refusal.value.message_dict
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE and course.consents.get().in_force
