"""Consent to a course: recording the signed form, and its withdrawal.

* ``consent_record`` keeps one signed consent form per submit (version, day signed, witness,
  optionally the scanned document). The document is checked by its content, not its name or
  the browser's word: a PDF, PNG or JPEG of at most 10 MB, stored under a name we make in the
  private storage (``scheduling.storage``: outside the web root, no URL).
* ``consent_withdraw`` records that the patient withdrew her consent and closes the course as
  withdrawn through ``services.outcomes.course_close``: its future visits and reminders are
  cancelled in the same transaction and she is told once (no diagnosis).

What consent gates (booking, moving and recording a harvest or an infusion) is answered by
``selectors.consent``.
"""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from scheduling.models import CLOSED_COURSES, Course, CourseConsent, CourseStatus, User
from scheduling.services import locks
from scheduling.services.outcomes import course_close
from scheduling.services.recording import Recorded, plausible_date
from scheduling.timeline.dates import spoken

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# What a document may be: its declared type, its first bytes, and the extension we store it as.
DOCUMENT_TYPES = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}
DOCUMENT_REFUSED = "The signed consent form must be a PDF, PNG or JPEG file."


def document_check(document: UploadedFile) -> str:
    """The stored extension of an acceptable document; a ValidationError otherwise."""
    if document.size is None or document.size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"document": "The signed consent form may be at most 10 MB."})
    if document.size == 0:
        raise ValidationError({"document": "The file is empty."})
    declared = (document.content_type or "").split(";")[0].strip().lower()
    document.seek(0)
    head = document.read(16)
    document.seek(0)
    for content_type, (magic, extension) in DOCUMENT_TYPES.items():
        if head.startswith(magic):
            if declared != content_type:
                raise ValidationError({"document": DOCUMENT_REFUSED})
            return extension
    raise ValidationError({"document": DOCUMENT_REFUSED})


def consent_record(
    *,
    course: Course,
    form_version: str,
    signed_on: dt.date,
    witnessed_by: str,
    document: UploadedFile | None = None,
    recorded_by: User | None = None,
) -> CourseConsent:
    """The patient signed consent form ``form_version`` for this course on ``signed_on``,
    witnessed by ``witnessed_by``. A second submit of the same form changes nothing."""
    form_version, witnessed_by = form_version.strip(), witnessed_by.strip()
    errors = {}
    if not form_version:
        errors["form_version"] = "Say which version of the consent form she signed."
    if not witnessed_by:
        errors["witnessed_by"] = "Say who witnessed the signature."
    if errors:
        raise ValidationError(errors)
    extension = document_check(document) if document is not None else None
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        if course.status in CLOSED_COURSES:
            raise ValidationError(
                f"This course is {course.get_status_display().lower()}; reopen it first."
            )
        plausible_date(
            signed_on, course.clinic.zone, "signed_on", "The day signed", future_allowed=False
        )
        same = course.consents.filter(
            form_version=form_version, signed_on=signed_on, witnessed_by=witnessed_by,
            withdrawn_on__isnull=True,
        ).first()  # fmt: skip
        if same is not None and (document is None or same.document):
            return same
        consent = same or CourseConsent(
            course=course,
            form_version=form_version,
            signed_on=signed_on,
            witnessed_by=witnessed_by,
            recorded_by=recorded_by,
        )
        if document is not None:
            # Our own name, never the uploaded one (paths, scripts, patient names).
            document.name = f"consent-{uuid.uuid4().hex}.{extension}"
            consent.document = document
        consent.full_clean(exclude=["course", "recorded_by"])
        _save_with_document(consent)
        return consent


def _save_with_document(consent: CourseConsent) -> None:
    """Save the row; its document is written first, and removed again if the row is not."""
    try:
        consent.save()
    except Exception:
        if consent.document and consent.document._committed:
            consent.document.storage.delete(consent.document.name)
        raise


def consent_withdraw(
    *, course: Course, on: dt.date, reason: str = "", recorded_by: User | None = None
) -> Recorded:
    """The patient withdrew her consent on ``on``: every consent in force is marked withdrawn
    and the course is closed as withdrawn (future visits and reminders cancelled, the patient
    told once), in one transaction."""
    reason = reason.strip()
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        plausible_date(on, course.clinic.zone, "on", "The day she withdrew", future_allowed=False)
        in_force = list(course.consents.select_for_update().filter(withdrawn_on__isnull=True))
        if not in_force:
            raise ValidationError(
                "No consent is in force for this course; to end it, use “Close course…”."
            )
        signed = max(consent.signed_on for consent in in_force)
        if on < signed:
            raise ValidationError(
                {"on": f"Consent was signed on {spoken(signed)}; she withdrew after that."}
            )
        for consent in in_force:
            consent.withdrawn_on = on
            consent.withdrawal_reason = reason[:300]
            consent.full_clean(exclude=["course", "recorded_by"])
            consent.save(update_fields=["withdrawn_on", "withdrawal_reason"])
        recorded = course_close(
            course=course,
            status=CourseStatus.WITHDRAWN,
            reason=reason,
            on=on,
            recorded_by=recorded_by,
        )
        recorded.notes.insert(0, "Withdrawal of consent recorded.")
        return recorded
