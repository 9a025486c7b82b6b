"""Upgrading a clinic: courses planned before the decided response was stored get it from their
results (migration 0010), so the outcomes report is right from the first page after upgrade."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.migrating import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("scheduling", "0009_course_response")]
AFTER = [("scheduling", "0010_course_response_fill")]


def test_the_upgrade_fills_each_courses_decided_response():
    apps = migrate(BEFORE)
    try:
        clinic = apps.get_model("scheduling", "Clinic").objects.create(
            name="Old", slug="old", time_zone="Europe/London"
        )
        patient = apps.get_model("scheduling", "Patient").objects.create(
            clinic=clinic, mrn="1", email="a@x.example", first_name="A", last_name="B",
            time_zone="Europe/London",
        )  # fmt: skip
        for n in range(6):  # 28-day cycles from Mon 5 Jan 2026
            apps.get_model("scheduling", "PeriodStart").objects.create(
                patient=patient, date=dt.date(2026, 1, 5) + dt.timedelta(days=28 * n),
                reported_by="staff",
            )  # fmt: skip
        Course = apps.get_model("scheduling", "Course")
        Appointment = apps.get_model("scheduling", "Appointment")
        Thickness = apps.get_model("scheduling", "ThicknessMeasurement")

        def visit(course, kind, day, key):
            starts = dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC)
            return Appointment.objects.create(
                clinic=clinic, patient=patient, course=course, kind=kind, step_key=key,
                status="done", starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
            )  # fmt: skip

        decided = Course.objects.create(
            clinic=clinic, patient=patient, source="bone-marrow", not_before=dt.date(2026, 2, 2)
        )
        visit(decided, "infusion", dt.date(2026, 2, 11), "infusion-1")  # cycle day 10
        ultrasound = visit(decided, "ultrasound", dt.date(2026, 3, 13), "ultrasound-1")
        Thickness.objects.create(
            course=decided, appointment=ultrasound, measured_on=dt.date(2026, 3, 13),
            thickness_mm=Decimal("7.9"),
        )  # fmt: skip
        Thickness.objects.create(  # later: an observation, never the response
            course=decided, measured_on=dt.date(2026, 4, 20), thickness_mm=Decimal("5.1")
        )
        observed = Course.objects.create(
            clinic=clinic, patient=patient, source="adipose", not_before=dt.date(2026, 2, 2)
        )
        visit(observed, "infusion", dt.date(2026, 2, 11), "infusion-1")
        Thickness.objects.create(  # the infusion's own cycle: no response yet
            course=observed, measured_on=dt.date(2026, 2, 20), thickness_mm=Decimal("9.0")
        )

        apps = migrate(AFTER)
        rows = dict(
            apps.get_model("scheduling", "Course")
            .objects.values_list("pk", "response_mm")
            .order_by("pk")
        )
        assert rows == {decided.pk: Decimal("7.9"), observed.pk: None}
        on = apps.get_model("scheduling", "Course").objects.get(pk=decided.pk).response_on
        assert on == dt.date(2026, 3, 13)
    finally:
        migrate_to_latest()
