"""A settings change re-plans every course with the same number of SQL statements per course,
whatever the clinic's size (the bench measures the time: `make bench`, bench_replan.py)."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduling.models import ClosedDate, PeriodStart
from scheduling.services import recording, replans
from scheduling.services.planning import course_replan
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        yield


def add_courses(clinic, count: int) -> None:
    for _ in range(count):
        patient = factories.PatientFactory(clinic=clinic)
        for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
            PeriodStart.objects.create(patient=patient, date=day, reported_by="staff")
        course = factories.CourseFactory(patient=patient, not_before=dt.date(2026, 2, 2))
        batch = recording.harvest_record_done(course=course, on=dt.date(2026, 2, 3))
        recording.batch_release(
            batch=batch, released_on=dt.date(2026, 2, 20), doses=3,
            expires_on=dt.date(2026, 8, 1), identity=True, purity=True, viability=True,
            sterility=True,
        )  # fmt: skip
        course_replan(course=course)


def statements_for_a_closure(clinic, day: dt.date) -> int:
    """Close ``day`` (where every course has its first infusion) and follow it through."""
    with CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            ClosedDate.objects.create(clinic=clinic, date=day)
            run = replans.clinic_replan_request(clinic=clinic, reason="bench")
        replans.replan_run_execute(run.pk)
    return len(queries)


def test_sql_statements_per_course_do_not_grow_with_the_clinic():
    counts = []
    for size in (2, 4, 6):
        clinic = factories.ClinicFactory(slug=f"size-{size}")
        add_courses(clinic, size)
        # 11 March is every course's first infusion day (cycle day 10): each one moves.
        counts.append(statements_for_a_closure(clinic, dt.date(2026, 3, 11)))
    assert counts[1] - counts[0] == counts[2] - counts[1], counts
    assert counts[1] - counts[0] <= 2 * 30, counts  # per course: tens of statements, not more
