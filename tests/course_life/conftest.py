"""A released bone-marrow course in a Mon-Fri London clinic, on Wednesday 25 February 2026."""

import datetime as dt

import pytest
import time_machine

from scheduling.models import PeriodStart
from scheduling.services import recording
from scheduling.services.planning import course_replan
from tests import factories

TODAY = dt.datetime(2026, 2, 25, 12, tzinfo=dt.UTC)


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()


@pytest.fixture
def course(clinic_a, today):
    """Periods on 5 Jan and 2 Feb 2026 (28 days); harvest 3 Feb, released 20 Feb: infusion 1
    on Wed 11 March, tentative visits after it, "has your period started?" requests pending."""
    patient = factories.PatientFactory(clinic=clinic_a, time_zone="Europe/London")
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    course = factories.CourseFactory(patient=patient, not_before=dt.date(2026, 2, 2))
    batch = recording.harvest_record_done(course=course, on=dt.date(2026, 2, 3), notify=False)
    recording.batch_release(
        batch=batch, released_on=dt.date(2026, 2, 20), doses=3, expires_on=dt.date(2026, 8, 1),
        identity=True, purity=True, viability=True, sterility=True, notify=False,
    )  # fmt: skip
    course_replan(course=course, notify=False)
    course.refresh_from_db()
    return course
