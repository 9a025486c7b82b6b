"""Consent to a course (DESIGN.md §2): required before a harvest or an infusion is booked or
recorded as done. The signed document, when uploaded, is stored outside the web root
(``settings.PRIVATE_MEDIA_ROOT``) and served only to the clinic's staff."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from scheduling.models.courses import Course
from scheduling.storage import private_documents


def consent_document_path(consent: "CourseConsent", filename: str) -> str:
    return f"consent/{consent.course.clinic_id}/{consent.course_id}/{filename}"


class CourseConsent(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="consents")
    form_version = models.CharField(max_length=40)
    signed_on = models.DateField()
    witnessed_by = models.CharField(max_length=120)
    document = models.FileField(
        upload_to=consent_document_path, storage=private_documents, blank=True, max_length=300
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["signed_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("signed_on")),
                name="consent_withdrawn_after_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent {self.form_version} of {self.signed_on} for course {self.course_id}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None
