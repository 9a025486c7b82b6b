"""Worked examples (DESIGN.md §2-§3), by hand: the decision after the thickness ultrasound,
invalid input, dragging an appointment, days the clinic chose, what changed between plans.

A history of exact cycles ending on ANCHOR (a Monday), a clinic open every day: see
``timeline_cases``.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from timeline_cases import (
    ANCHOR,
    INFUSION_DAY,
    LENGTHS,
    OVULATION,
    TRANSFER_DAY,
    ULTRASOUND_DAY,
    course,
    day_of,
    history,
    released_in,
)

from scheduling.timeline import (
    CourseInput,
    Facts,
    InvalidCourse,
    Outcome,
    PlanRefused,
    Protocol,
    Route,
    check_step_date,
    plan,
    plan_changes,
    plan_to_dict,
)
from scheduling.timeline.dates import spoken

# -- decision after the thickness ultrasound ---------------------------------------------------


def after_first_infusion(mm: float, planned: int = 1) -> CourseInput:
    facts = Facts(
        released_on=day_of(28, 1, 1),
        infusions_done=(day_of(28, 1, 10),),
        thickness_results=((day_of(28, 2, 12), mm),),
    )
    return course(planned_infusions=planned, facts=facts)


def test_before_results_the_plan_holds_the_planned_infusions():
    result = plan(course(planned_infusions=3, facts=released_in(28, 1)))
    # infusion k+1 in the cycle after ultrasound k's cycle: cycles 1, 3, 5
    assert [result.step(f"infusion-{k}").date for k in (1, 2, 3)] == [
        day_of(28, 1, 10),
        day_of(28, 3, 10),
        day_of(28, 5, 10),
    ]
    assert result.step("ultrasound-3").date == day_of(28, 6, 12)
    assert result.step("transfer-window").window_start == day_of(28, 8, 1)
    assert result.outcome == Outcome.PENDING


def test_responded_stops_infusions():
    result = plan(after_first_infusion(7.0, planned=3))
    assert result.outcome == Outcome.RESPONDED
    assert not any(s.key == "infusion-2" for s in result.steps)
    ultrasound = result.step("ultrasound-1")
    assert ultrasound.done and ultrasound.thickness_mm == 7.0
    assert result.step("transfer-window").window_start == day_of(28, 4, 1)
    assert result.step("follow-up-3").date >= day_of(28, 1, 10) + relativedelta(months=3)


def test_below_threshold_plans_another_infusion_next_cycle():
    result = plan(after_first_infusion(5.5))
    infusion = result.step("infusion-2")
    assert infusion.date == day_of(28, 3, 10) and not infusion.done
    assert result.step("ultrasound-2").date == day_of(28, 4, 12)
    assert result.step("transfer-window").window_start == day_of(28, 6, 1)
    assert any("5.5 mm" in w and "infusion 2" in w for w in result.warnings)


def test_non_responder_after_maximum_infusions():
    facts = Facts(
        released_on=day_of(28, 1, 1),
        infusions_done=(day_of(28, 1, 10), day_of(28, 3, 10), day_of(28, 5, 10)),
        thickness_results=(
            (day_of(28, 2, 12), 5.0),
            (day_of(28, 4, 12), 6.0),
            (day_of(28, 6, 12), 6.5),
        ),
    )
    result = plan(course(planned_infusions=3, not_before=day_of(28, 6, 13), facts=facts))
    assert result.outcome == Outcome.NON_RESPONDER
    assert not any(s.key == "infusion-4" for s in result.steps)
    assert any("non-responder" in w for w in result.warnings)
    assert result.step("transfer-window").window_start == day_of(28, 8, 1)
    assert result.step("follow-up-12").date > day_of(28, 5, 10) + relativedelta(months=12)
    assert all(result.step(f"ultrasound-{k}").done for k in (1, 2, 3))


def test_custom_threshold_and_maximum():
    protocol = Protocol(thickness_threshold_mm=5.0, max_infusions=1)
    result = plan(CourseInput(**{**_fields(after_first_infusion(5.0)), "protocol": protocol}))
    assert result.outcome == Outcome.RESPONDED
    protocol = Protocol(max_infusions=1)
    result = plan(CourseInput(**{**_fields(after_first_infusion(5.0)), "protocol": protocol}))
    assert result.outcome == Outcome.NON_RESPONDER


def _fields(value: CourseInput) -> dict:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


# -- invalid input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"stated_cycle_length": 14, "period_starts": (ANCHOR,)},
        {"stated_cycle_length": 91, "period_starts": (ANCHOR,)},
        {"period_starts": (ANCHOR, ANCHOR - timedelta(12))},
        {"luteal_length": 9},
        {"luteal_length": 17},
        {"open_weekdays": frozenset()},
        {"planned_infusions": 0},
        {"planned_infusions": 4},
        {"period_starts": ()},
        {"facts": Facts(harvested_on=date(2025, 2, 1), infusions_done=(date(2025, 1, 20),))},
        {"chosen_days": (("infusion-1", ANCHOR), ("infusion-1", ANCHOR + timedelta(1)))},
    ],
)
def test_invalid_course(changes):
    with pytest.raises(InvalidCourse):
        plan(course(**changes))


def test_no_proliferative_phase_is_refused():
    with pytest.raises(PlanRefused, match="no proliferative phase"):
        plan(course(21, luteal_length=16))  # O = 5


# -- dragging an appointment ---------------------------------------------------------------


def test_check_step_date_reasons():
    c = course(facts=released_in(28, 1), open_weekdays=frozenset(range(5)))
    infusion = plan(c).step("infusion-1")
    assert check_step_date(c, "infusion-1", infusion.date) == []
    assert check_step_date(c, "infusion-1", day_of(28, 1, 12)) == []  # a Friday
    luteal = check_step_date(c, "infusion-1", day_of(28, 1, 16))
    assert len(luteal) == 1 and "proliferative" in luteal[0] and "luteal" in luteal[0]
    saturday = day_of(28, 1, 6)
    assert saturday.weekday() == 5
    assert any("closed on Saturdays" in r for r in check_step_date(c, "infusion-1", saturday))
    early = check_step_date(c, "infusion-1", day_of(28, 0, 10))
    assert any("released on" in r for r in early)
    ultrasound = check_step_date(c, "ultrasound-1", day_of(28, 1, 12))
    assert any("cycle after the infusion" in r for r in ultrasound)
    assert check_step_date(c, "ultrasound-1", day_of(28, 2, 11)) == []
    assert check_step_date(c, "ultrasound-1", day_of(28, 2, 9)) != []
    transfer = check_step_date(c, "transfer-window", day_of(28, 4, 10))
    assert any("luteal" in r for r in transfer)
    assert any("outside" in r for r in check_step_date(c, "transfer-window", day_of(28, 3, 19)))
    with pytest.raises(KeyError):
        check_step_date(c, "infusion-9", day_of(28, 1, 10))


def test_check_step_date_done_step_and_artery_and_expiry():
    facts = Facts(
        released_on=day_of(28, 1, 1),
        expires_on=day_of(28, 1, 11),
        infusions_done=(),
    )
    c = course(route=Route.INTRAUTERINE_ARTERY, facts=facts)
    assert check_step_date(c, "infusion-1", day_of(28, 1, 11)) == []
    assert any("9-11" in r for r in check_step_date(c, "infusion-1", day_of(28, 1, 8)))
    assert any("expires" in r for r in check_step_date(c, "infusion-1", day_of(28, 1, 12)))
    done = after_first_infusion(5.0)
    assert any("done" in r for r in check_step_date(done, "infusion-1", day_of(28, 1, 9)))
    assert any(
        "after the previous thickness" in r
        for r in check_step_date(done, "infusion-2", day_of(28, 2, 10))
    )


# -- days the clinic chose -----------------------------------------------------------------------


def test_a_chosen_infusion_day_two_days_later_plans_the_follow_ups_from_it():
    chosen = date(2025, 2, 14)  # CD12 of the cycle from 02-03, two days after the planned CD10
    result = plan(course(28, chosen_days=(("infusion-1", chosen),)))
    assert result.step("infusion-1").date == chosen
    assert result.step("ultrasound-1").date == date(2025, 3, 14)  # same cycle, same ultrasound
    # 06-06 is inside the transfer window (04-28 to 06-22): the next cycle's CD12
    assert result.step("follow-up-3").date == date(2025, 7, 4)
    # 12 months after 02-14 is 2026-02-14, CD13 of the cycle from 02-02: past its CD12, so the
    # follow-up goes to the next cycle's CD12 (from the engine's 02-12 it was 2026-02-13).
    assert result.step("follow-up-12").date == date(2026, 3, 13)
    assert result.warnings == plan(course(28)).warnings


@pytest.mark.parametrize("length", LENGTHS)
def test_a_chosen_infusion_in_the_next_cycle_moves_every_later_step(length):
    chosen = day_of(length, 2, INFUSION_DAY[length])  # the engine plans cycle 1
    result = plan(
        course(length, facts=released_in(length, 1), chosen_days=(("infusion-1", chosen),))
    )
    infusion = result.step("infusion-1")
    assert (infusion.date, infusion.cycle_day) == (chosen, INFUSION_DAY[length])
    assert (infusion.window_start, infusion.window_end) == (
        day_of(length, 2, 6),
        day_of(length, 2, OVULATION[length]),
    )
    assert result.step("ultrasound-1").date == day_of(length, 3, ULTRASOUND_DAY[length])
    window = result.step("transfer-window")
    assert (window.window_start, window.window_end) == (
        day_of(length, 5, 1),
        day_of(length, 7, 1) - timedelta(days=1),
    )
    assert window.suggested == (
        day_of(length, 5, TRANSFER_DAY[length]),
        day_of(length, 6, TRANSFER_DAY[length]),
    )
    for months in (3, 6, 12):
        due = chosen + relativedelta(months=+months)
        cycle = (due - ANCHOR).days // length
        expected = day_of(length, cycle, ULTRASOUND_DAY[length])
        if expected < due:
            expected = day_of(length, cycle + 1, ULTRASOUND_DAY[length])
        if window.window_start <= expected <= window.window_end:  # the cycle after the window
            after = (window.window_end - ANCHOR).days // length + 1
            expected = day_of(length, after, ULTRASOUND_DAY[length])
        assert result.step(f"follow-up-{months}").date == expected


def test_a_chosen_harvest_day_delays_the_cells_and_the_infusion():
    result = plan(course(28, chosen_days=(("harvest", date(2025, 1, 24)),)))
    assert result.step("harvest").date == date(2025, 1, 24)
    assert result.step("expansion").ready_by == date(2025, 2, 14)
    assert result.step("infusion-1").date == date(2025, 2, 14)  # CD12: nearest CD10 once ready


def test_a_chosen_day_that_no_longer_fits_is_ignored_with_a_warning():
    c = course(facts=released_in(28, 1), open_weekdays=frozenset(range(5)))
    luteal = day_of(28, 1, 16)  # a Friday, past ovulation on CD14
    result = plan(replace(c, chosen_days=(("infusion-1", luteal),)))
    unchosen = plan(c)
    assert result.steps == unchosen.steps
    (warning,) = set(result.warnings) - set(unchosen.warnings)
    assert warning.startswith(f"Infusion 1 was set for {spoken(luteal)}, which no longer fits")
    assert "luteal" in warning and spoken(day_of(28, 1, 10)) in warning


def test_a_done_step_ignores_its_chosen_day():
    facts = after_first_infusion(5.5).facts
    chosen = (("infusion-1", day_of(28, 1, 12)), ("ultrasound-1", day_of(28, 2, 11)))
    result = plan(course(facts=facts, chosen_days=chosen))
    assert result == plan(course(facts=facts))
    assert result.step("infusion-1").date == day_of(28, 1, 10) and result.step("infusion-1").done


def test_a_chosen_ultrasound_moves_the_next_infusion():
    c = course(planned_infusions=2, facts=released_in(28, 1))
    assert plan(c).step("infusion-2").date == day_of(28, 3, 10)
    # the ultrasound may wait for a later cycle only when the engine could not find a day in
    # the cycle after the infusion: cycle 2's late-proliferative days CD11-14 are closed here
    closed = frozenset(day_of(28, 2, d) for d in range(11, 15))
    c = replace(c, closed_dates=closed, chosen_days=(("ultrasound-1", day_of(28, 3, 11)),))
    assert plan(replace(c, chosen_days=())).step("ultrasound-1").date == day_of(28, 3, 12)
    result = plan(c)
    assert result.step("ultrasound-1").date == day_of(28, 3, 11)
    assert result.step("infusion-2").date == day_of(28, 4, 10)


@pytest.mark.parametrize(("cycle", "later"), [(4, True), (5, False)])
def test_a_chosen_transfer_day_is_the_first_suggestion(cycle, later):
    chosen = day_of(28, cycle, 17)
    result = plan(course(facts=released_in(28, 1), chosen_days=(("transfer-window", chosen),)))
    expected = (chosen, day_of(28, 5, 19)) if later else (chosen,)
    assert result.step("transfer-window").suggested == expected
    outside = plan(course(facts=released_in(28, 1), chosen_days=(("transfer-window", ANCHOR),)))
    assert outside.step("transfer-window").suggested == (day_of(28, 4, 19), day_of(28, 5, 19))
    assert any("embryo-transfer window was set for" in w for w in outside.warnings)


def test_check_step_date_ignores_the_steps_own_chosen_day_but_not_the_others():
    moved = (("infusion-1", day_of(28, 2, 10)),)
    c = course(facts=released_in(28, 1), chosen_days=moved)
    assert check_step_date(c, "infusion-1", day_of(28, 1, 10)) == []
    assert check_step_date(c, "infusion-1", day_of(28, 2, 10)) == []
    # the ultrasound follows the chosen infusion's cycle, not the one the engine would pick
    assert any(
        "cycle after the infusion" in r
        for r in check_step_date(c, "ultrasound-1", day_of(28, 2, 12))
    )
    assert check_step_date(c, "ultrasound-1", day_of(28, 3, 12)) == []


# -- re-planning -------------------------------------------------------------------------------


def test_plan_changes_after_an_early_period_moves_future_steps_only():
    before = plan(course(facts=released_in(28, 1)))
    early = day_of(28, 1, 1) - timedelta(days=3)  # she reports cycle 1 three days early
    after = plan(course(period_starts=(*history(28), early), facts=released_in(28, 1)))
    moved = {change.key: change for change in plan_changes(before, after)}
    # released on the predicted CD1 of cycle 1, now her CD4: CD10 is still >= the release
    assert after.step("infusion-1").date == early + timedelta(9)
    assert moved["infusion-1"].old_date == day_of(28, 1, 10)
    assert moved["infusion-1"].new_date == early + timedelta(9)
    assert "expansion" not in moved


def test_plan_changes_of_steps_done_as_planned_is_empty_and_lists_added_and_dropped():
    done = after_first_infusion(8.0, planned=1)
    before = plan(done)
    assert plan_changes(before, plan(done)) == ()
    below = plan(after_first_infusion(5.0, planned=1))
    changes = {change.key: change for change in plan_changes(before, below)}
    assert changes["infusion-2"].old_date is None and changes["infusion-2"].new_date
    window = changes["transfer-window"]
    assert window.old_date == day_of(28, 4, 1) and window.new_date == day_of(28, 6, 1)
    assert window.old_end == day_of(28, 6, 1) - timedelta(1)
    dropped = {c.key for c in plan_changes(below, before) if c.new_date is None}
    assert dropped == {"infusion-2", "ultrasound-2"}


def test_plan_to_dict_shape():
    data = plan_to_dict(plan(course(facts=Facts(released_on=day_of(28, 1, 1)))))
    assert (data["cycle_length"], data["ovulation_day"], data["irregular"]) == (28, 14, False)
    kinds = [step["kind"] for step in data["steps"]]
    assert kinds[:3] == ["expansion", "infusion", "ultrasound"]
    infusion = data["steps"][1]
    assert infusion["date"] == "2025-02-12" and infusion["number"] == 1
    assert infusion["done"] is False and infusion["tentative"] is True
