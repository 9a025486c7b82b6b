"""Umbilical-cord courses (UC-MSC): a dose of a donor lot, no harvest and no expansion.

The first infusion goes in the first infusion window with an open day on or after the day the
dose was allocated plus the thaw-and-preparation lead time (``Protocol.uc_thaw_lead_days``),
before the lot's expiry. Without a dose the plan has no infusion and says it waits.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timeline_cases import EVERY_DAY, LENGTHS, course, day_of

from scheduling.timeline import (
    WAITING_FOR_DONOR_LOT,
    CourseInput,
    Facts,
    InvalidFact,
    PlanRefused,
    Protocol,
    Route,
    Source,
    StepKind,
    Thickness,
    check_step_date,
    describe_day,
    plan,
    plan_to_dict,
)

UC = Source.UMBILICAL_CORD
PROLIFERATIVE = ("proliferative", "late-proliferative")


def uc(length: int = 28, allocated: date | None = None, **changes) -> CourseInput:
    facts = changes.pop("facts", Facts(lot_allocated_on=allocated))
    return course(length, source=UC, facts=facts, **changes)


def kinds(result) -> set[StepKind]:
    return {step.kind for step in result.steps}


# -- examples (28-day cycles from Mon 6 Jan 2025, every day open, lead 2 days) -----------------


def test_allocated_on_cycle_day_1_infuses_on_the_preferred_day_10():
    result = plan(uc(allocated=day_of(28, 0, 1)))
    assert StepKind.HARVEST not in kinds(result) and StepKind.EXPANSION not in kinds(result)
    infusion = result.step("infusion-1")
    assert (infusion.date, infusion.cycle_day) == (day_of(28, 0, 10), 10)
    assert result.waiting_for == ""
    assert result.step("transfer-window") and result.step("follow-up-3")


def test_allocated_on_cycle_day_9_is_ready_on_day_11():
    infusion = plan(uc(allocated=day_of(28, 0, 9))).step("infusion-1")
    assert (infusion.date, infusion.cycle_day) == (day_of(28, 0, 11), 11)


def test_lead_time_past_ovulation_moves_to_the_next_cycle():
    result = plan(uc(allocated=day_of(28, 0, 13)))  # ready CD15, ovulation CD14
    assert result.step("infusion-1").date == day_of(28, 1, 10)
    no_lead = uc(allocated=day_of(28, 0, 13), protocol=Protocol(uc_thaw_lead_days=0))
    assert plan(no_lead).step("infusion-1").date == day_of(28, 0, 13)


def test_closed_days_and_weekends_are_skipped():
    allocated = day_of(28, 0, 9)  # Tue 14 Jan 2025: ready Thu 16 Jan (CD11)
    closed = frozenset({day_of(28, 0, 11), day_of(28, 0, 12)})
    result = plan(uc(allocated=allocated, closed_dates=closed, open_weekdays=frozenset(range(5))))
    infusion = result.step("infusion-1")
    # CD11 closed, CD12 closed, CD13-14 are a weekend (Sat 18, Sun 19 Jan): the next cycle
    assert infusion.date == day_of(28, 1, 10)
    assert infusion.date.weekday() < 5


def test_the_lot_expiring_before_the_first_window_refuses_the_plan():
    course_input = uc(allocated=day_of(28, 0, 13))
    course_input = replace(
        course_input, facts=replace(course_input.facts, expires_on=day_of(28, 0, 20))
    )
    with pytest.raises(PlanRefused, match="before the donor lot expires on Sat 25 Jan 2025"):
        plan(course_input)


def test_no_dose_allocated_plans_no_infusion_and_says_it_waits():
    result = plan(uc())
    assert result.waiting_for == WAITING_FOR_DONOR_LOT
    assert result.steps == ()
    assert any("No donor-lot dose is allocated" in warning for warning in result.warnings)
    assert plan_to_dict(result)["waiting_for"] == "donor-lot"


def test_after_a_done_infusion_the_next_one_waits_for_its_own_dose():
    first = plan(uc(allocated=day_of(28, 0, 1), planned_infusions=2))
    infused, scan = first.step("infusion-1").date, first.step("ultrasound-1").date
    facts = Facts(infusions_done=(infused,), thickness_results=(Thickness(scan, 5.5),))
    waiting = plan(uc(facts=facts, planned_infusions=2))
    assert waiting.waiting_for == WAITING_FOR_DONOR_LOT
    assert waiting.step("ultrasound-1").done
    assert [s.key for s in waiting.steps if s.kind == StepKind.INFUSION] == ["infusion-1"]
    allocated = scan + timedelta(days=20)  # a new dose, late in the next cycle
    given_dose = plan(uc(facts=replace(facts, lot_allocated_on=allocated), planned_infusions=2))
    assert given_dose.step("infusion-2").date >= allocated + timedelta(days=2)


def test_a_uc_course_cannot_have_a_harvest_and_others_no_donor_dose():
    with pytest.raises(InvalidFact) as error:
        plan(uc(facts=Facts(harvested_on=day_of(28, 0, 1))))
    assert error.value.field == "harvested_on"
    with pytest.raises(InvalidFact) as error:
        plan(course(28, facts=Facts(lot_allocated_on=day_of(28, 0, 1))))
    assert error.value.field == "lot_allocated_on"


def test_dragging_the_infusion_before_the_dose_is_ready_says_why():
    course_input = uc(allocated=day_of(28, 0, 9))
    reasons = check_step_date(course_input, "infusion-1", day_of(28, 0, 10))
    assert any("thawed and prepared by Thu 16 Jan 2025" in reason for reason in reasons)
    assert check_step_date(course_input, "infusion-1", day_of(28, 0, 12)) == []


@pytest.mark.parametrize("length", LENGTHS)
def test_every_length_infuses_in_the_first_window_after_the_lead(length):
    allocated = day_of(length, 0, 2)
    infusion = plan(uc(length, allocated=allocated)).step("infusion-1")
    assert infusion.date >= allocated + timedelta(days=2)
    assert infusion.phase in PROLIFERATIVE and infusion.cycle_start == day_of(length, 0, 1)


# -- properties: cycle lengths 21-45, regular and irregular histories --------------------------


@st.composite
def uc_courses(draw) -> CourseInput:
    length = draw(st.integers(21, 45))
    jitter = draw(st.sampled_from([0, 2, 9]))  # exact, regular, irregular
    last = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    starts = [last]
    for _ in range(draw(st.integers(0, 6))):
        gap = min(45, max(21, length + draw(st.integers(-jitter, jitter))))
        starts.append(starts[-1] - timedelta(days=gap))
    not_before = last + timedelta(days=draw(st.integers(-5, 30)))
    allocated = draw(st.none() | st.integers(-10, 40).map(lambda n: not_before + timedelta(n)))
    closed = st.integers(0, 200).map(lambda n: not_before + timedelta(n))
    return CourseInput(
        source=UC,
        route=Route.INTRAUTERINE,
        planned_infusions=draw(st.integers(1, 3)),
        not_before=not_before,
        period_starts=tuple(starts),
        stated_cycle_length=length,
        luteal_length=draw(st.integers(10, 16)),
        open_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        closed_dates=draw(st.frozensets(closed, max_size=15)),
        protocol=Protocol(uc_thaw_lead_days=draw(st.integers(0, 5))),
        facts=Facts(lot_allocated_on=allocated),
    )


def suitable(c: CourseInput, cycle, day: date) -> bool:
    """An open intrauterine-infusion day (CD6 to ovulation), worked out without the planner."""
    info = describe_day(cycle, day)
    return (
        day.weekday() in c.open_weekdays
        and day not in c.closed_dates
        and info.phase in PROLIFERATIVE
    )


@settings(max_examples=300, deadline=None)
@given(uc_courses())
def test_uc_infusion_is_the_first_suitable_window_after_allocation_plus_lead(c):
    try:
        result = plan(c)
    except PlanRefused:
        return
    assert StepKind.HARVEST not in kinds(result) and StepKind.EXPANSION not in kinds(result)
    allocated = c.facts.lot_allocated_on
    if allocated is None:
        assert result.waiting_for == WAITING_FOR_DONOR_LOT
        assert not kinds(result) & {StepKind.INFUSION, StepKind.TRANSFER_WINDOW}
        assert StepKind.FOLLOW_UP not in kinds(result)
        return
    ready = max(allocated + timedelta(days=c.protocol.uc_thaw_lead_days), c.not_before)
    infusion = result.step("infusion-1")
    assert result.waiting_for == ""
    assert infusion.date >= ready and suitable(c, result.cycle, infusion.date)
    # no suitable day from the ready day up to the infusion's own cycle
    day = ready
    while day < infusion.cycle_start:
        assert not suitable(c, result.cycle, day), day
        day += timedelta(days=1)


@settings(max_examples=100, deadline=None)
@given(uc_courses())
def test_no_infusion_without_an_allocated_dose(c):
    c = replace(c, facts=Facts())
    try:
        result = plan(c)
    except PlanRefused:
        return
    assert result.waiting_for == WAITING_FOR_DONOR_LOT
    assert all(step.kind != StepKind.INFUSION for step in result.steps)


def test_every_day_open_makes_the_first_window_day_the_nearest_to_day_10():
    c = uc(28, allocated=day_of(28, 0, 5), open_weekdays=EVERY_DAY)
    assert plan(c).step("infusion-1").date == day_of(28, 0, 10)
