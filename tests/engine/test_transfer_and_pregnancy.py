"""The embryo transfer and a pregnancy test as facts (DESIGN.md §2 point 9).

A done transfer: the window is done, no suggested days, no further infusion. A positive test
stops every cycle-based step from its day; the follow-ups still to come are held (no date) or
dropped (``Protocol.follow_ups_in_pregnancy``). A negative test changes nothing.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from timeline_cases import EVERY_DAY, course, released_in

from scheduling.timeline import (
    CourseInput,
    Facts,
    InvalidFact,
    PlanRefused,
    PregnancyTest,
    Protocol,
    Route,
    Source,
    StepKind,
    Thickness,
    plan,
    plan_to_dict,
)

CYCLE_BASED = (StepKind.HARVEST, StepKind.INFUSION, StepKind.ULTRASOUND, StepKind.FOLLOW_UP)
FOLLOW_UPS = ("follow-up-3", "follow-up-6", "follow-up-12")


def responded(length: int = 28) -> tuple[CourseInput, Facts]:
    """A 28-day course whose one infusion responded: the transfer window comes next."""
    base = course(length, facts=released_in(length, 1))
    first = plan(base)
    infused, scan = first.step("infusion-1").date, first.step("ultrasound-1").date
    facts = replace(
        base.facts, infusions_done=(infused,), thickness_results=(Thickness(scan, 8.0),)
    )
    return base, facts


def test_a_done_transfer_has_no_suggested_days_and_keeps_follow_ups_out_of_its_window():
    base, facts = responded()
    before = plan(replace(base, facts=facts))
    window = before.step("transfer-window")
    transfer = window.suggested[0]
    after = plan(replace(base, facts=replace(facts, transfer_on=transfer)))
    done = after.step("transfer-window")
    assert done.done and done.suggested == () and done.date == transfer
    assert (done.window_start, done.window_end) == (window.window_start, window.window_end)
    for key in FOLLOW_UPS:
        assert after.step(key).date == before.step(key).date
    assert plan_to_dict(after)["steps"][-4]["date"] == transfer.isoformat()


def test_a_positive_test_holds_the_follow_ups_and_a_negative_one_changes_nothing():
    base, facts = responded()
    transfer = plan(replace(base, facts=facts)).step("transfer-window").suggested[0]
    transferred = replace(facts, transfer_on=transfer)
    tested = transfer + timedelta(days=10)
    # planning from the test's day on, as the clinic does the day it is recorded
    later = replace(base, not_before=tested)
    plain = plan(replace(later, facts=transferred))
    negative = plan(
        replace(later, facts=replace(transferred, pregnancy_tests=(PregnancyTest(tested, False),)))
    )
    assert negative.steps == plain.steps and negative.pregnant_from is None
    positive_facts = replace(transferred, pregnancy_tests=((tested, True),))
    positive = plan(replace(later, facts=positive_facts))
    assert positive.pregnant_from == tested
    for key in FOLLOW_UPS:
        step = positive.step(key)
        assert step.held and step.date is None
    assert any("Pregnancy test positive on" in warning for warning in positive.warnings)
    assert plan_to_dict(positive)["pregnant_from"] == tested.isoformat()
    dropped = plan(
        replace(later, facts=positive_facts, protocol=Protocol(follow_ups_in_pregnancy="drop"))
    )
    assert not any(step.kind == StepKind.FOLLOW_UP for step in dropped.steps)
    # a miscarriage ends the pregnancy: held follow-ups are planned again, dropped ones stay out
    ended = replace(positive_facts, pregnancy_ended_on=tested + timedelta(days=20))
    again = plan(replace(later, not_before=tested + timedelta(days=20), facts=ended))
    assert again.pregnant_from is None
    assert all(again.step(key).date is not None for key in FOLLOW_UPS)
    gone = plan(
        replace(
            later,
            not_before=tested + timedelta(days=20),
            facts=ended,
            protocol=Protocol(follow_ups_in_pregnancy="drop"),
        )
    )
    assert not any(step.kind == StepKind.FOLLOW_UP for step in gone.steps)


def test_impossible_pregnancy_facts_are_refused():
    base, facts = responded()
    infused = facts.infusions_done[0]
    with pytest.raises(InvalidFact) as error:  # a test needs a transfer before it
        plan(replace(base, facts=replace(facts, pregnancy_tests=((infused + timedelta(9), True),))))
    assert error.value.field == "pregnancy_test"
    transferred = replace(facts, transfer_on=infused + timedelta(40))
    with pytest.raises(InvalidFact) as error:  # an end without a positive test
        plan(replace(base, facts=replace(transferred, pregnancy_ended_on=infused + timedelta(60))))
    assert error.value.field == "pregnancy_ended_on"
    with pytest.raises(Exception, match='"hold" or "drop"'):
        plan(replace(base, protocol=Protocol(follow_ups_in_pregnancy="later")))


# -- properties: cycle lengths 21-45, regular and irregular histories --------------------------


@st.composite
def transferred_courses(draw) -> tuple[CourseInput, date, int]:
    """A course whose infusions are done, with its transfer day; and a test offset."""
    length = draw(st.integers(21, 45))
    jitter = draw(st.sampled_from([0, 2, 9, 12]))
    last = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    starts = [last]
    for _ in range(draw(st.integers(0, 6))):
        gap = min(45, max(21, length + draw(st.integers(-jitter, jitter))))
        starts.append(starts[-1] - timedelta(days=gap))
    done = draw(st.integers(1, 3))
    infused = tuple(last + timedelta(days=7 + 35 * k) for k in range(done))
    source = draw(st.sampled_from(Source))
    cells = "lot_allocated_on" if source == Source.UMBILICAL_CORD else "released_on"
    c = CourseInput(
        source=source,
        route=Route.INTRAUTERINE,
        planned_infusions=done,
        not_before=last,
        period_starts=tuple(starts),
        stated_cycle_length=length,
        luteal_length=draw(st.integers(10, 16)),
        open_weekdays=draw(st.sampled_from([EVERY_DAY, frozenset(range(5))])),
        facts=Facts(**{cells: last}, infusions_done=infused),
        protocol=Protocol(follow_ups_in_pregnancy=draw(st.sampled_from(["hold", "drop"]))),
    )
    transfer = infused[-1] + timedelta(days=draw(st.integers(1, 120)))
    return c, transfer, draw(st.integers(0, 20))


@settings(max_examples=300, deadline=None)
@given(transferred_courses(), st.booleans(), st.integers(-30, 60))
def test_after_a_positive_test_no_cycle_based_step_is_dated_from_its_day(case, positive, shift):
    c, transfer, offset = case
    tested = transfer + timedelta(days=offset)
    facts = replace(c.facts, transfer_on=transfer, pregnancy_tests=((tested, positive),))
    later = replace(c, facts=facts, not_before=max(c.not_before, tested + timedelta(days=shift)))
    try:
        result = plan(later)
        plain = plan(replace(later, facts=replace(facts, pregnancy_tests=())))
    except PlanRefused:
        assume(False)
    window = result.step("transfer-window")
    assert window.done and window.suggested == () and window.date == transfer
    if not positive:
        assert result.steps == plain.steps and result.pregnant_from is None
        return
    assert result.pregnant_from == tested
    for step in result.steps:
        if step.kind in CYCLE_BASED and not step.done and step.date is not None:
            assert step.date < tested, step
    held = [s for s in result.steps if s.held]
    if later.protocol.follow_ups_in_pregnancy == "drop":
        assert not any(s.kind == StepKind.FOLLOW_UP and not s.done for s in result.steps)
    else:
        planned_after = [
            s.key
            for s in plain.steps
            if s.kind == StepKind.FOLLOW_UP and not s.done and s.date >= tested
        ]
        assert [s.key for s in held] == planned_after


@settings(max_examples=200, deadline=None)
@given(transferred_courses())
def test_a_done_transfer_never_suggests_a_day(case):
    c, transfer, _ = case
    try:
        result = plan(replace(c, facts=replace(c.facts, transfer_on=transfer)))
    except PlanRefused:
        return
    windows = [s for s in result.steps if s.kind == StepKind.TRANSFER_WINDOW]
    assert len(windows) == 1 and windows[0].done and windows[0].suggested == ()
    assert all(s.kind != StepKind.INFUSION or s.done for s in result.steps)
    for step in result.steps:
        if step.kind == StepKind.FOLLOW_UP:
            assert not windows[0].window_start <= step.date <= windows[0].window_end
