"""Follow-up ultrasounds never fall inside the embryo-transfer window (DESIGN.md §2 point 8).

A follow-up whose n-month day would land in the window is planned by the follow-up rule (the
late-proliferative window, preferred CD O-2) from the day after the window ends.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st
from timeline_cases import ANCHOR, EVERY_DAY, LENGTHS, ULTRASOUND_DAY, course, day_of, released_in

from scheduling.timeline import (
    CourseInput,
    Facts,
    PlanRefused,
    Route,
    Source,
    StepKind,
    check_step_date,
    plan,
)

FOLLOW_UPS = ("follow-up-3", "follow-up-6", "follow-up-12")


def test_the_3_month_follow_up_of_a_28_day_course_leaves_the_window():
    result = plan(course(28, facts=released_in(28, 1)))
    window = result.step("transfer-window")
    assert (window.window_start, window.window_end) == (
        day_of(28, 4, 1),
        day_of(28, 6, 1) - timedelta(1),
    )
    follow_up = result.step("follow-up-3")
    # without the window: CD12 of cycle 5 (inside it); with it: CD12 of cycle 6, the first after
    dropped = plan(
        course(28, facts=released_in(28, 1), dropped_steps=frozenset({"transfer-window"}))
    )
    assert dropped.step("follow-up-3").date == day_of(28, 5, 12)
    assert follow_up.date == day_of(28, 6, 12)
    assert (follow_up.cycle_day, follow_up.phase) == (12, "late-proliferative")
    # the later follow-ups were outside the window and stay where they were
    for key in ("follow-up-6", "follow-up-12"):
        assert result.step(key).date == dropped.step(key).date


@pytest.mark.parametrize("length", LENGTHS)
def test_no_follow_up_inside_the_window_for_exact_cycles(length):
    result = plan(course(length, facts=released_in(length, 1)))
    window = result.step("transfer-window")
    after = (window.window_end - ANCHOR).days // length + 1  # the first cycle after the window
    for key in FOLLOW_UPS:
        step = result.step(key)
        assert not window.window_start <= step.date <= window.window_end
        if step.date > window.window_end and step.date < day_of(length, after + 1, 1):
            assert step.cycle_day == ULTRASOUND_DAY[length]


def test_closed_days_after_the_window_push_the_follow_up_to_the_next_open_day():
    base = course(28, facts=released_in(28, 1))
    moved = plan(base).step("follow-up-3").date  # CD12 of the first cycle after the window
    closed = frozenset({moved, moved - timedelta(1)})
    result = plan(replace(base, closed_dates=closed))
    assert result.step("follow-up-3").date == moved + timedelta(1)  # CD13, still late-prolif.
    assert result.step("follow-up-3").phase == "late-proliferative"


def test_a_follow_up_chosen_inside_the_window_is_rejected_and_planned_after_it():
    base = course(28, facts=released_in(28, 1))
    inside = day_of(28, 5, 12)  # late-proliferative and after its due date, but in the window
    result = plan(replace(base, chosen_days=(("follow-up-3", inside),)))
    assert result.step("follow-up-3").date == day_of(28, 6, 12)
    (rejected,) = result.rejected_choices
    assert rejected.key == "follow-up-3"
    assert "cannot fall in the embryo-transfer window" in rejected.reason


def test_dragging_a_follow_up_into_the_window_says_why():
    base = course(28, facts=released_in(28, 1))
    reasons = check_step_date(base, "follow-up-3", day_of(28, 5, 12))
    assert any("embryo-transfer window, 2025-04-28 to 2025-06-22" in r for r in reasons)
    assert check_step_date(base, "follow-up-3", day_of(28, 6, 12)) == []


# -- property: cycle lengths 21-45, regular and irregular histories ----------------------------


@st.composite
def courses(draw) -> CourseInput:
    length = draw(st.integers(21, 45))
    jitter = draw(st.sampled_from([0, 2, 9, 12]))  # exact, regular, irregular, very irregular
    last = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    starts = [last]
    for _ in range(draw(st.integers(0, 6))):
        gap = min(45, max(21, length + draw(st.integers(-jitter, jitter))))
        starts.append(starts[-1] - timedelta(days=gap))
    done = draw(st.integers(0, 2))
    source = draw(st.sampled_from(Source))
    # cells released, or a donor-lot dose allocated, on the last CD1
    cells = "lot_allocated_on" if source == Source.UMBILICAL_CORD else "released_on"
    facts = Facts(**{cells: last})
    if done:
        infused = tuple(last + timedelta(days=7 + 35 * k) for k in range(done))
        facts = Facts(**{cells: last}, infusions_done=infused)
    return CourseInput(
        source=source,
        route=Route.INTRAUTERINE,
        planned_infusions=draw(st.integers(max(1, done), 3)),
        not_before=last,
        period_starts=tuple(starts),
        stated_cycle_length=length,
        luteal_length=draw(st.integers(10, 16)),
        open_weekdays=draw(st.sampled_from([EVERY_DAY, frozenset(range(5))])),
        facts=facts,
    )


@settings(max_examples=300, deadline=None)
@given(courses())
def test_follow_ups_are_never_inside_the_transfer_window(c):
    try:
        result = plan(c)
    except PlanRefused:
        return
    free = plan(replace(c, dropped_steps=frozenset({"transfer-window"})))
    window = result.step("transfer-window")
    infusions = [s.date for s in result.steps if s.kind == StepKind.INFUSION]
    for key in FOLLOW_UPS:
        step, before = result.step(key), free.step(key)
        assert not window.window_start <= step.date <= window.window_end
        assert step.phase == "late-proliferative"
        months = int(key.rsplit("-", 1)[1])
        assert step.date >= max(infusions) + relativedelta(months=+months)
        if not window.window_start <= before.date <= window.window_end:
            assert step.date == before.date  # only a follow-up in the window moves
        else:
            # moved: the follow-up rule from the day after the window; with every day open
            # that is the first cycle after it
            assert step.date > window.window_end
            if c.open_weekdays == EVERY_DAY:
                assert step.cycle_start == window.window_end + timedelta(1)
