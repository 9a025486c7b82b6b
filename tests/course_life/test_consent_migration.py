"""Upgrading a clinic: courses whose patient has the first version's consent fields get that
consent as their own (migration 0008), so booking and recording are not blocked."""

import datetime as dt

import pytest

from tests.migrating import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("scheduling", "0007_course_life_and_disclosure")]
AFTER = [("scheduling", "0008_consent_from_patient")]


def test_consent_moves_from_the_patient_to_each_of_her_courses():
    apps = migrate(BEFORE)
    try:
        clinic = apps.get_model("scheduling", "Clinic").objects.create(name="Old", slug="old")
        patients = apps.get_model("scheduling", "Patient").objects
        Course = apps.get_model("scheduling", "Course")
        common = {"clinic": clinic, "first_name": "A", "last_name": "B", "time_zone": "UTC"}
        signed = patients.create(
            mrn="1", email="a@x.example", consent_version="2025-09",
            consent_date=dt.date(2025, 9, 1), **common,
        )  # fmt: skip
        unsigned = patients.create(mrn="2", email="b@x.example", **common)
        half = patients.create(mrn="3", email="c@x.example", consent_version="v2", **common)
        courses = {
            name: Course.objects.create(
                clinic=clinic,
                patient=patient,
                source="bone-marrow",
                not_before=dt.date(2025, 10, 1),
            )
            for name, patient in (("signed", signed), ("unsigned", unsigned), ("half", half))
        }
        second = Course.objects.create(
            clinic=clinic, patient=signed, source="adipose", not_before=dt.date(2026, 1, 1)
        )

        apps = migrate(AFTER)
        consents = apps.get_model("scheduling", "CourseConsent").objects
        rows = {row.course_id: row for row in consents.all()}
        assert set(rows) == {courses["signed"].pk, second.pk}
        row = rows[second.pk]
        assert (row.form_version, row.signed_on) == ("2025-09", dt.date(2025, 9, 1))
        assert row.witnessed_by == "recorded before per-course consent"
        assert row.withdrawn_on is None
        events = apps.get_model("scheduling", "AuditEvent").objects.filter(
            object_type="courseconsent"
        )
        assert events.count() == 2
        assert {e.patient_id for e in events} == {signed.pk}
        assert {e.actor_label for e in events} == {"system"}
    finally:
        migrate_to_latest()
