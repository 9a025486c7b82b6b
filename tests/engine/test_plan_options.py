"""The artery route's own preferred day, follow-ups never early, rejected chosen days and
dropped steps (issue 10, points 5-7). Exact 28-day cycles ending on ANCHOR (a Monday)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from scheduling.timeline import (
    CourseInput,
    Facts,
    InvalidCourse,
    PlanRefused,
    Protocol,
    RejectedChoice,
    Route,
    Source,
    plan,
)

ANCHOR = date(2025, 1, 6)
EVERY_DAY = frozenset(range(7))


def day_of(cycle: int, cycle_day: int, length: int = 28) -> date:
    return ANCHOR + timedelta(days=cycle * length + cycle_day - 1)


def course(length: int = 28, **changes) -> CourseInput:
    values = {
        "source": Source.BONE_MARROW,
        "route": Route.INTRAUTERINE,
        "planned_infusions": 1,
        "not_before": ANCHOR,
        "period_starts": tuple(ANCHOR - timedelta(days=length * k) for k in range(4)),
        "open_weekdays": EVERY_DAY,
        "facts": Facts(released_on=day_of(1, 1, length)),
    }
    values.update(changes)
    return CourseInput(**values)


# -- 5. the intrauterine-artery route ---------------------------------------------------------


@pytest.mark.parametrize("preferred", [6, 8, 10, 14])
def test_the_courses_preferred_day_never_moves_an_artery_infusion(preferred):
    protocol = Protocol(preferred_infusion_day=preferred)
    result = plan(course(route=Route.INTRAUTERINE_ARTERY, protocol=protocol))
    infusion = result.step("infusion-1")
    assert (infusion.date, infusion.cycle_day, infusion.phase) == (
        day_of(1, 10),
        10,
        "proliferative",
    )
    assert (infusion.window_start, infusion.window_end) == (day_of(1, 9), day_of(1, 11))
    # the intrauterine route follows it
    assert plan(course(protocol=protocol)).step("infusion-1").cycle_day == min(preferred, 14)


def test_an_override_of_cd6_no_longer_puts_the_artery_infusion_on_ovulation_day():
    # L 23: O = 9. The override used to lower the artery's preferred day to CD9, the
    # ovulation day; now the artery's own CD10 decides: refused. L 24 (O = 10): CD10.
    protocol = Protocol(preferred_infusion_day=6)
    infusion = plan(course(24, route=Route.INTRAUTERINE_ARTERY, protocol=protocol))
    assert infusion.step("infusion-1").cycle_day == 10
    with pytest.raises(PlanRefused, match="intrauterine-artery"):
        plan(course(23, route=Route.INTRAUTERINE_ARTERY, protocol=protocol))


def test_the_artery_preferred_day_is_a_protocol_parameter():
    protocol = Protocol(artery_preferred_day=9)
    result = plan(course(23, route=Route.INTRAUTERINE_ARTERY, protocol=protocol))
    assert result.step("infusion-1").cycle_day == 9  # O = 9: CD9 only
    protocol = Protocol(artery_preferred_day=11)
    result = plan(course(route=Route.INTRAUTERINE_ARTERY, protocol=protocol))
    assert result.step("infusion-1").cycle_day == 11


# -- 6. follow-ups never before their n-month date --------------------------------------------


def _due_on_preferred_day() -> tuple[CourseInput, date]:
    """A course whose 3-month date is exactly the preferred ultrasound day (CD12) it snaps to.
    Its transfer window is dropped: the 3-month date of a 28-day cycle falls inside it."""
    for cycle_day in range(6, 15):
        infused = day_of(1, cycle_day)
        due = infused + relativedelta(months=+3)
        if (due - ANCHOR).days % 28 == 11:
            facts = Facts(released_on=day_of(1, 1), infusions_done=(infused,))
            dropped = frozenset({"transfer-window"})
            return course(facts=facts, not_before=infused, dropped_steps=dropped), due
    raise AssertionError("no such day")


def test_a_closed_due_day_moves_the_follow_up_later_never_earlier():
    c, due = _due_on_preferred_day()
    assert plan(c).step("follow-up-3").date == due
    result = plan(replace(c, closed_dates=frozenset({due})))
    assert result.step("follow-up-3").date == due + timedelta(1)  # the tie used to go to due - 1
    later = plan(replace(c, closed_dates=frozenset({due, due + timedelta(1)})))
    assert later.step("follow-up-3").date == due + timedelta(2)


def test_a_follow_up_chosen_before_its_due_date_is_rejected():
    c, due = _due_on_preferred_day()
    early = due - timedelta(1)  # still late-proliferative, but before the 3 months
    result = plan(replace(c, chosen_days=(("follow-up-3", early),)))
    assert result.step("follow-up-3").date == due
    (rejected,) = result.rejected_choices
    assert rejected.key == "follow-up-3" and f"is due from {due}" in rejected.reason


# -- 7. chosen days that no longer fit, dropped steps -------------------------------------------


def test_a_chosen_day_that_no_longer_fits_is_reported():
    c = course(open_weekdays=frozenset(range(5)))
    luteal = day_of(1, 16)  # a Friday, past ovulation on CD14
    result = plan(replace(c, chosen_days=(("infusion-1", luteal),)))
    assert result.steps == plan(c).steps
    (rejected,) = result.rejected_choices
    assert rejected == RejectedChoice("infusion-1", luteal, rejected.reason)
    assert "luteal" in rejected.reason and rejected.reason in " ".join(result.warnings)


def test_a_chosen_day_that_fits_is_no_rejection():
    result = plan(course(chosen_days=(("infusion-1", day_of(1, 12)),)))
    assert result.step("infusion-1").date == day_of(1, 12) and result.rejected_choices == ()


def test_a_chosen_day_that_has_passed_is_kept():
    """A booked visit whose day has passed (its outcome not recorded yet) keeps its day, and
    the later steps still count from it: planning from a later today moves nothing."""
    booked = day_of(1, 10)
    before = plan(course(chosen_days=(("infusion-1", booked),)))
    later = plan(course(chosen_days=(("infusion-1", booked),), not_before=day_of(1, 13)))
    assert later.step("infusion-1").date == booked and later.rejected_choices == ()
    assert later.step("ultrasound-1").date == before.step("ultrasound-1").date
    passed = plan(course(not_before=day_of(1, 13)))  # nothing booked: planned from today
    assert passed.step("infusion-1").date >= day_of(1, 13)


def test_dropped_steps_are_left_out_and_nothing_else_moves():
    full = plan(course(planned_infusions=2))
    dropped = frozenset({"follow-up-3", "transfer-window", "ultrasound-1"})
    result = plan(course(planned_infusions=2, dropped_steps=dropped))
    assert {s.key for s in full.steps} - {s.key for s in result.steps} == dropped
    kept = [s for s in full.steps if s.key not in dropped]
    assert list(result.steps) == kept  # infusion 2 still waits for the cycle after CD12


def test_a_chosen_day_for_a_dropped_step_is_ignored():
    chosen = (("follow-up-3", ANCHOR),)
    result = plan(course(dropped_steps=frozenset({"follow-up-3"}), chosen_days=chosen))
    assert result.rejected_choices == ()


def test_a_done_step_is_a_fact_and_never_dropped():
    facts = Facts(
        released_on=day_of(1, 1),
        infusions_done=(day_of(1, 10),),
        thickness_results=((day_of(2, 12), 8.0),),
    )
    result = plan(course(facts=facts, dropped_steps=frozenset({"ultrasound-1"})))
    assert result.step("ultrasound-1").done


def test_dropping_an_infusion_is_the_callers_planned_infusions():
    with pytest.raises(InvalidCourse):
        plan(course(dropped_steps=frozenset({"infusion-1"})))
