"""Per-course consent for clinics upgrading from per-patient consent.

Consent now gates booking and recording a harvest or an infusion, per course. A course whose
patient has a consent version and date on her record (the first version's fields) gets that
consent as its own, witnessed "recorded before per-course consent", so an upgrading clinic's
courses are not blocked. Courses of patients without one get nothing: the clinic records it.
Historical models send no signals, so each row's audit event is written here, by "system".
"""

from django.db import migrations

WITNESS = "recorded before per-course consent"


def forwards(apps, schema_editor):
    Course = apps.get_model("scheduling", "Course")
    CourseConsent = apps.get_model("scheduling", "CourseConsent")
    AuditEvent = apps.get_model("scheduling", "AuditEvent")
    courses = (
        Course.objects.filter(patient__consent_date__isnull=False)
        .exclude(patient__consent_version="")
        .exclude(consents__isnull=False)
        .select_related("patient")
    )
    for course in list(courses):
        consent = CourseConsent.objects.create(
            course=course,
            form_version=course.patient.consent_version[:40],
            signed_on=course.patient.consent_date,
            witnessed_by=WITNESS,
        )
        AuditEvent.objects.create(
            clinic_id=course.clinic_id,
            actor_label="system",
            action="create",
            object_type="courseconsent",
            object_id=str(consent.pk),
            patient_id=course.patient_id,
            changes={
                "course": [None, course.pk],
                "form_version": [None, consent.form_version],
                "signed_on": [None, consent.signed_on.isoformat()],
                "witnessed_by": [None, WITNESS],
            },
        )


def backwards(apps, schema_editor):
    CourseConsent = apps.get_model("scheduling", "CourseConsent")
    CourseConsent.objects.filter(witnessed_by=WITNESS, document="").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0007_course_life_and_disclosure"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
