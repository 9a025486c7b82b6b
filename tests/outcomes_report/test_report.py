"""The report read from the database: the engine's response rule, the period and filters, and a
constant number of SQL queries whatever the clinic's size."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.selectors.outcomes_report import ReportFilter, course_records, outcomes_report
from tests.outcomes_report.helpers import PREGNANT_AND_BORN, treated_course

pytestmark = pytest.mark.django_db


def _everything(clinic, **filters) -> ReportFilter:
    today = timezone.localdate(timezone=clinic.zone)
    return ReportFilter(since=today - dt.timedelta(days=3 * 365), until=today, **filters)


def test_the_response_is_the_engines_decided_result(clinic_a):
    # recorded against the ultrasound visit after the infusion: that result decides
    decided = treated_course(clinic_a, response=8.2, extra_results=((0, 5.0), (60, 4.0)))
    # a free result inside the next cycle's late-proliferative window decides too
    in_window = treated_course(clinic_a, response=7.4, against_visit=False)
    # a free result 20 days after the infusion (its own cycle) is an observation only
    outside = treated_course(clinic_a, response=None, extra_results=((20, 9.9),))
    # two infusions: only the response to the last one decides (the first was 5.5 mm)
    repeated = treated_course(clinic_a, infusions=2, response=7.1)
    records = {r.key: r for r in course_records(clinic=clinic_a, flt=_everything(clinic_a))}
    assert records[decided.pk].response_mm == 8.2  # not the later 4.0 mm observation
    assert records[in_window.pk].response_mm == 7.4
    assert records[outside.pk].response_mm is None
    assert records[repeated.pk].response_mm == 7.1
    assert records[decided.pk].series() == [(0, 5.0), (30, 8.2), (60, 4.0)]


def test_period_and_filters(clinic_a):
    old = treated_course(clinic_a, days_ago=2000)  # started before the three-year period
    adipose = treated_course(clinic_a, source="adipose", infusions=2)
    severe = treated_course(clinic_a, diagnosis="asherman", asherman_severity="severe")
    mild = treated_course(clinic_a, diagnosis="asherman", asherman_severity="mild")
    planned = treated_course(clinic_a, days_ago=-40, response=None)  # starts in the future

    def keys(**filters):
        return {
            r.key for r in course_records(clinic=clinic_a, flt=_everything(clinic_a, **filters))
        }

    assert keys() == {adipose.pk, severe.pk, mild.pk}
    assert old.pk not in keys() and planned.pk not in keys()
    assert keys(source="adipose") == {adipose.pk}
    assert keys(diagnosis="asherman") == {severe.pk, mild.pk}
    assert keys(diagnosis="asherman:severe") == {severe.pk}
    assert keys(diagnosis="thin-endometrium") == {adipose.pk}
    assert keys(infusions=2) == {adipose.pk}
    assert keys(infusions=1) == {severe.pk, mild.pk}
    assert keys(route="intrauterine-artery") == set()


def test_figures_from_the_database(clinic_a):
    for _ in range(3):
        treated_course(clinic_a, outcomes=PREGNANT_AND_BORN, status="completed")
    treated_course(clinic_a, response=6.0, status="non-responder")
    treated_course(clinic_a, response=None, status="lost-to-follow-up")
    report = outcomes_report(clinic=clinic_a, flt=_everything(clinic_a))
    f = report.figures
    assert f.courses_started == 5
    assert (f.reached_threshold.numerator, f.reached_threshold.denominator) == (3, 5)
    assert (f.live_birth_per_transfer.numerator, f.live_birth_per_transfer.denominator) == (3, 3)
    assert (f.live_birth_per_patient.numerator, f.live_birth_per_patient.denominator) == (3, 5)
    assert f.lost_to_follow_up == 1
    assert f.still_open == 1
    assert f.time_to_transfer.median == 100


def _page_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("outcomes-report"))
    assert response.status_code == 200
    return len(queries), response.content.count(b"data-figure=")


def test_constant_number_of_queries_at_two_sizes(clinic_a, admin_a, staff_client):
    client = staff_client(admin_a)
    for _ in range(3):
        treated_course(clinic_a, outcomes=PREGNANT_AND_BORN)
    small, _ = _page_queries(client)
    for n in range(12):
        treated_course(
            clinic_a,
            source=("adipose", "menstrual-blood", "umbilical-cord")[n % 3],
            infusions=1 + n % 3,
            outcomes=PREGNANT_AND_BORN if n % 2 else (),
        )
    large, _ = _page_queries(client)
    assert small == large
    assert large <= 12


def test_the_cached_figures_follow_every_new_record(clinic_a, admin_a, staff_client):
    client = staff_client(admin_a)
    treated_course(clinic_a)

    def started() -> str:
        page = client.get(reverse("outcomes-report")).content.decode()
        row = page.split('data-figure="courses_started"')[1]
        return row.split('data-testid="value">')[1].split("<")[0]

    assert started() == "1"
    with CaptureQueriesContext(connection) as queries:
        assert started() == "1"  # from the cache: only the version is read
    assert not any(
        'FROM "scheduling_thicknessmeasurement"' in q["sql"] for q in queries.captured_queries
    )
    course = treated_course(clinic_a)
    assert started() == "2"
    course.status = "lost-to-follow-up"
    course.save(update_fields=["status"])
    page = client.get(reverse("outcomes-report")).content.decode()
    assert 'data-figure="lost_to_follow_up"' in page
    lost = page.split('data-figure="lost_to_follow_up"')[1].split('data-testid="value">')[1]
    assert lost.startswith("1<")
