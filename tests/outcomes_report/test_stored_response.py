"""The decided response stored on the course by its re-plan: a new thickness result changes it
and the report's figure; it equals the engine's reading for a varied cohort; the upgrade's fill
and the engine agree on every input hypothesis draws."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import timeline
from scheduling.models import AuditEvent, Course
from scheduling.reports.responses import input_response, plan_response
from scheduling.selectors.courses import course_input
from scheduling.selectors.outcomes_report import ReportFilter, cached_report, outcomes_report
from scheduling.services import periods, recording
from scheduling.services.course_responses import course_responses_fill
from scheduling.services.planning import course_replan
from tests.planning.conftest import live, local_day, make_released_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


def _report(clinic):
    today = timezone.localdate(timezone=clinic.zone)
    flt = ReportFilter(since=dt.date(2025, 1, 1), until=today)
    return outcomes_report(clinic=clinic, flt=flt)


def _infuse(course, number: int, clock) -> None:
    infusion = live(course, f"infusion-{number}")
    clock.move_to(dt.datetime.combine(local_day(infusion), dt.time(15), tzinfo=dt.UTC))
    recording.appointment_mark_done(appointment=infusion, notify=False)


def _ultrasound(course, number: int, mm: str, clock, *, against_visit: bool = True) -> None:
    ultrasound = live(course, f"ultrasound-{number}")
    day = local_day(ultrasound)
    clock.move_to(dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC))
    recording.thickness_record(
        course=course,
        measured_on=day,
        thickness_mm=Decimal(mm),
        appointment=ultrasound if against_visit else None,
        notify=False,
    )


def _engine(course: Course) -> tuple[dt.date, float] | None:
    """What the engine decides for the course now, planned and read on its own."""
    facts = course_input(Course.objects.get(pk=course.pk))
    read = input_response(facts)
    try:
        planned = plan_response(timeline.plan(facts))
    except (timeline.PlanRefused, timeline.InvalidCourse):
        return read
    assert planned == read  # the plan and the bare reading agree
    return planned


def _stored(course: Course) -> tuple[dt.date, float] | None:
    course.refresh_from_db()
    if course.response_mm is None:
        assert course.response_on is None
        return None
    return course.response_on, float(course.response_mm)


def test_a_new_result_changes_the_stored_response_and_the_report(clinic_a, clock):
    course = make_released_course(clinic_a)
    assert _stored(course) is None
    _infuse(course, 1, clock)
    assert _stored(course) is None
    _ultrasound(course, 1, "6.2", clock)
    ultrasound_day = local_day(live(course, "ultrasound-1"))
    assert _stored(course) == (ultrasound_day, 6.2)
    figures = _report(clinic_a).figures
    assert (figures.reached_threshold.numerator, figures.reached_threshold.denominator) == (0, 1)
    assert (figures.responders, figures.non_responders) == (0, 1)

    # the same visit's result again: it replaces the first, the re-plan re-decides the course
    recording.thickness_record(
        course=course,
        measured_on=ultrasound_day,
        thickness_mm=Decimal("7.8"),
        appointment=live(course, "ultrasound-1"),
        notify=False,
    )
    assert _stored(course) == (ultrasound_day, 7.8)
    figures = _report(clinic_a).figures
    assert (figures.reached_threshold.numerator, figures.reached_threshold.denominator) == (1, 1)
    assert figures.responders == 1
    assert _report(clinic_a).records[0].response_mm == 7.8


def test_a_re_plan_after_a_period_start_keeps_the_stored_response_the_engines(clinic_a, clock):
    course = make_released_course(clinic_a)
    _infuse(course, 1, clock)
    # a free result (no visit) inside the next cycle's window decides the course
    _ultrasound(course, 1, "7.4", clock, against_visit=False)
    assert _stored(course) == _engine(course) != None  # noqa: E711
    # a late period moves her cycles: the re-plan reads the result again
    periods.period_start_report(patient=course.patient, date=dt.date(2026, 3, 2))
    assert _stored(course) == _engine(course)


def test_the_stored_response_is_the_engines_for_a_varied_cohort(clinic_a, clock):
    """Responded at once, below then responded, free results, a result on the infusion day
    only, two thin results: after each fact the stored value is the engine's."""
    histories = [
        [("infuse", 1), ("us", 1, "8.1", True)],
        [("infuse", 1), ("us", 1, "5.9", True), ("infuse", 2), ("us", 2, "7.2", True)],
        [("infuse", 1), ("us", 1, "7.0", False)],
        [("infuse", 1), ("on-infusion-day", "9.5")],
        [("infuse", 1), ("us", 1, "5.0", False), ("infuse", 2), ("us", 2, "6.1", True)],
        [("infuse", 1)],
    ]
    start = dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)
    checked = 0
    for history in histories:
        clock.move_to(start)
        course = make_released_course(clinic_a)
        for fact in history:
            if fact[0] == "infuse":
                _infuse(course, fact[1], clock)
            elif fact[0] == "us":
                _ultrasound(course, fact[1], fact[2], clock, against_visit=fact[3])
            else:
                day = timezone.localdate(timezone=clinic_a.zone)
                recording.thickness_record(
                    course=course, measured_on=day, thickness_mm=Decimal(fact[1]), notify=False
                )
            assert _stored(course) == _engine(course), (history, fact)
            checked += 1
    assert checked == 15
    decided = [
        None if mm is None else float(mm)
        for mm in Course.objects.order_by("pk").values_list("response_mm", flat=True)
    ]
    assert decided == [8.1, 7.2, 7.0, None, 6.1, None]
    assert course_responses_fill() == 0  # the upgrade's fill reads every course the same way


def test_the_fill_stores_what_a_re_plan_would(clinic_a, clock):
    course = make_released_course(clinic_a)
    _infuse(course, 1, clock)
    _ultrasound(course, 1, "8.4", clock)
    expected = _stored(course)
    Course.objects.filter(pk=course.pk).update(response_on=None, response_mm=None)
    assert course_responses_fill() == 1
    assert _stored(course) == expected
    course_replan(course=course, notify=False)
    assert _stored(course) == expected


BASE = dt.date(2026, 1, 5)


@st.composite
def course_inputs(draw) -> timeline.CourseInput:
    """Regular-ish cycles, one to three infusions a cycle or two apart, and results around each
    infusion's response window (against its visit or free) with a few anywhere."""
    length = draw(st.integers(24, 35))
    starts = [BASE]
    for _ in range(draw(st.integers(0, 6))):
        starts.append(starts[-1] + dt.timedelta(days=length + draw(st.integers(-3, 3))))
    count = draw(st.integers(1, 3))
    infusions = [BASE + dt.timedelta(days=draw(st.integers(7, 12)))]
    for _ in range(count - 1):
        gap = length * draw(st.integers(1, 2)) + draw(st.integers(-2, 2))
        infusions.append(infusions[-1] + dt.timedelta(days=gap))
    mm = st.sampled_from([4.5, 5.5, 6.9, 7.0, 8.3])
    results: dict[dt.date, timeline.Thickness] = {}  # one result a day, a visit's once
    keys: set[str] = set()
    for number, infused in enumerate(infusions, 1):
        for _ in range(draw(st.integers(0, 2))):
            on = infused + dt.timedelta(days=draw(st.integers(length - 10, length + 8)))
            key = draw(st.sampled_from([None, f"ultrasound-{number}", "ultrasound-1"]))
            key = None if key in keys else key
            keys.add(key)
            results[on] = timeline.Thickness(on, draw(mm), key)
    for _ in range(draw(st.integers(0, 2))):
        on = BASE + dt.timedelta(days=draw(st.integers(0, 150)))
        results.setdefault(on, timeline.Thickness(on, draw(mm), None))
    return timeline.CourseInput(
        source=timeline.Source.BONE_MARROW,
        route=timeline.Route.INTRAUTERINE,
        planned_infusions=count,
        not_before=max(infusions) + dt.timedelta(days=1),
        period_starts=tuple(starts),
        stated_cycle_length=length,
        open_weekdays=frozenset(draw(st.sets(st.integers(0, 6), min_size=4))),
        facts=timeline.Facts(
            harvested_on=BASE - dt.timedelta(days=40),
            released_on=BASE - dt.timedelta(days=20),
            expires_on=BASE + dt.timedelta(days=400),
            infusions_done=tuple(infusions),
            thickness_results=tuple(results[day] for day in sorted(results)),
        ),
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(course_inputs())
def test_the_plans_decided_response_is_the_engines_reading(facts):
    """The re-plan stores ``plan_response`` (``input_response`` when the plan is refused); the
    upgrade's fill reads ``input_response``: the two agree whenever the engine plans."""
    try:
        planned = timeline.plan(facts)
    except (timeline.PlanRefused, timeline.InvalidCourse):
        return
    assert plan_response(planned) == input_response(facts)


def test_a_re_plan_that_changes_the_response_is_audited_and_moves_the_cached_figures(
    clock, clinic_a
):
    # (the clock first: every audit event of the clinic is on its frozen timeline)
    course = make_released_course(clinic_a)
    _infuse(course, 1, clock)
    _ultrasound(course, 1, "8.4", clock)
    decided = _stored(course)
    # as if the re-plan had not run yet (a clinic-wide re-plan runs after the write's commit)
    Course.objects.filter(pk=course.pk).update(response_on=None, response_mm=None)
    flt = ReportFilter(since=dt.date(2025, 1, 1), until=timezone.localdate(timezone=clinic_a.zone))

    def responders() -> int:
        return cached_report(clinic=clinic_a, flt=flt).figures.responders

    assert responders() == 0
    with CaptureQueriesContext(connection) as queries:
        assert responders() == 0  # from the cache: only the version is read
    assert len(queries) == 1
    course_replan(course=course, notify=False)
    assert _stored(course) == decided
    event = AuditEvent.objects.filter(object_type="course", object_id=str(course.pk)).latest("id")
    assert event.changes["response_mm"] == [None, "8.4"]
    assert responders() == 1
