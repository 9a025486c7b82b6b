"""Worked examples of the clinical timing rules (DESIGN.md §3), expectations derived by hand.

Most examples use a clinic open every day, so only the cycle rule under test decides the date,
and a history of exact cycles ending on ANCHOR (a Monday): cycle k then starts on
ANCHOR + k * L and cycle day d of it is ANCHOR + k * L + (d - 1).
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from scheduling.timeline import (
    CourseInput,
    Facts,
    InvalidCourse,
    Outcome,
    PlanRefused,
    Protocol,
    Route,
    Source,
    StepKind,
    check_step_date,
    describe_day,
    estimate_cycle,
    plan,
    plan_changes,
    plan_to_dict,
)

ANCHOR = date(2025, 1, 6)  # a Monday, the last reported CD1
EVERY_DAY = frozenset(range(7))
LENGTHS = [21, 24, 28, 35, 45]
# By hand, luteal 14: O = L - 14; intrauterine CD10 clamped into CD6-O; ultrasound CD O-2
# clamped into CD max(6, O-3)-O; suggested transfer day CD O+5.
OVULATION = {21: 7, 24: 10, 28: 14, 35: 21, 45: 31}
INFUSION_DAY = {21: 7, 24: 10, 28: 10, 35: 10, 45: 10}
ULTRASOUND_DAY = {21: 6, 24: 8, 28: 12, 35: 19, 45: 29}
TRANSFER_DAY = {21: 12, 24: 15, 28: 19, 35: 26, 45: 36}


def day_of(length: int, cycle: int, cycle_day: int) -> date:
    return ANCHOR + timedelta(days=cycle * length + cycle_day - 1)


def history(length: int, count: int = 4) -> tuple[date, ...]:
    return tuple(ANCHOR - timedelta(days=length * k) for k in range(count))


def course(length: int = 28, **changes) -> CourseInput:
    values = {
        "source": Source.BONE_MARROW,
        "route": Route.INTRAUTERINE,
        "planned_infusions": 1,
        "not_before": ANCHOR,
        "period_starts": history(length),
        "open_weekdays": EVERY_DAY,
    }
    values.update(changes)
    return CourseInput(**values)


def released_in(length: int, cycle: int) -> Facts:
    """Cells released on CD1 of ``cycle``: the first infusion goes in that cycle."""
    return Facts(released_on=day_of(length, cycle, 1))


# -- cycle estimation and phases ----------------------------------------------------------


@pytest.mark.parametrize("length", LENGTHS)
def test_ovulation_and_phase_boundaries(length):
    estimate = estimate_cycle(history(length))
    o = OVULATION[length]
    assert (estimate.length, estimate.ovulation_day, estimate.irregular) == (length, o, False)
    assert estimate.phase_of(1) == estimate.phase_of(5) == "menstrual"
    assert estimate.phase_of(o) == "late-proliferative"
    assert estimate.phase_of(max(6, o - 3)) == "late-proliferative"
    assert estimate.phase_of(o + 1) == estimate.phase_of(length) == "luteal"
    expected_day_6 = "proliferative" if o - 3 > 6 else "late-proliferative"
    assert estimate.phase_of(6) == expected_day_6
    if o - 4 >= 6:
        assert estimate.phase_of(o - 4) == "proliferative"


def test_phase_table_for_28_days():
    estimate = estimate_cycle([date(2025, 1, 6)], stated_length=28)
    phases = [estimate.phase_of(d) for d in range(1, 29)]
    assert phases == (
        ["menstrual"] * 5 + ["proliferative"] * 5 + ["late-proliferative"] * 4 + ["luteal"] * 14
    )


def test_length_is_median_of_last_six_intervals():
    # intervals oldest first: 80 (dropped: only the last six count), 27, 29, 30, 26, 28, 31
    starts, day = [date(2024, 1, 1)], date(2024, 1, 1)
    for gap in (80, 27, 29, 30, 26, 28, 31):
        day += timedelta(days=gap)
        starts.append(day)
    estimate = estimate_cycle(reversed(starts))
    assert estimate.intervals == (27, 29, 30, 26, 28, 31)
    assert estimate.length == 28  # sorted 26 27 28 29 30 31: (28 + 29) // 2
    assert not estimate.irregular  # 31 - 26 = 5
    assert estimate.uncertainty_days == 5


def test_fewer_than_two_starts_use_the_stated_length():
    assert estimate_cycle([date(2025, 1, 1)], stated_length=32).length == 32
    assert estimate_cycle([date(2025, 1, 1)]).length == 28


def test_irregular_when_recent_intervals_differ_by_more_than_seven_days():
    base = date(2025, 1, 1)
    irregular = estimate_cycle([base, base + timedelta(24), base + timedelta(24 + 35)])
    assert irregular.irregular and irregular.uncertainty_days == 11
    assert irregular.length == 29  # (24 + 35) // 2
    exactly_seven = estimate_cycle([base, base + timedelta(25), base + timedelta(25 + 32)])
    assert not exactly_seven.irregular


def test_describe_day_in_reported_and_predicted_cycles():
    estimate = estimate_cycle(history(28))
    info = describe_day(estimate, ANCHOR + timedelta(days=9))
    assert (info.cycle_start, info.cycle_day, info.phase) == (ANCHOR, 10, "proliferative")
    assert (info.tentative, info.uncertainty_days) == (False, 0)
    info = describe_day(estimate, ANCHOR + timedelta(days=28 + 14))
    assert (info.cycle_start, info.cycle_day, info.phase) == (ANCHOR + timedelta(28), 15, "luteal")
    assert info.tentative and info.uncertainty_days == 2
    # an earlier, closed cycle keeps its real length: 30 days, so O = 16
    starts = [date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 28)]
    info = describe_day(estimate_cycle(starts), date(2025, 1, 16))
    assert (info.cycle_day, info.phase, info.tentative) == (16, "late-proliferative", False)


# -- harvest and expansion -----------------------------------------------------------------


@pytest.mark.parametrize("source", [Source.BONE_MARROW, Source.ADIPOSE])
def test_procedure_harvest_on_first_open_day(source):
    saturday = date(2025, 1, 11)
    result = plan(course(source=source, not_before=saturday, open_weekdays=frozenset(range(5))))
    harvest = result.step("harvest")
    assert harvest.date == date(2025, 1, 13) and not harvest.tentative
    expansion = result.step("expansion")
    assert expansion.date == date(2025, 1, 13)
    assert expansion.ready_from == date(2025, 1, 27)
    assert expansion.ready_by == date(2025, 2, 3)


def test_procedure_harvest_is_not_tentative_even_in_a_predicted_cycle():
    harvest = plan(course(not_before=day_of(28, 2, 3))).step("harvest")
    assert harvest.date == day_of(28, 2, 3) and harvest.cycle_day == 3
    assert (harvest.tentative, harvest.uncertainty_days) == (False, 0)


@pytest.mark.parametrize("length", LENGTHS)
def test_menstrual_blood_harvest_on_day_2_or_next_cycle(length):
    mb = Source.MENSTRUAL_BLOOD
    assert plan(course(length, source=mb)).step("harvest").date == day_of(length, 0, 2)
    late = plan(course(length, source=mb, not_before=day_of(length, 0, 3)))
    assert late.step("harvest").date == day_of(length, 0, 3)
    missed = plan(course(length, source=mb, not_before=day_of(length, 0, 4)))
    harvest = missed.step("harvest")
    assert harvest.date == day_of(length, 1, 2) and harvest.cycle_day == 2
    assert harvest.phase == "menstrual" and harvest.tentative
    assert missed.step("expansion").ready_by == day_of(length, 1, 2) + timedelta(21)


def test_menstrual_blood_harvest_closed_day_2_ties_to_day_1():
    result = plan(course(source=Source.MENSTRUAL_BLOOD, closed_dates=frozenset({day_of(28, 0, 2)})))
    assert result.step("harvest").date == day_of(28, 0, 1)
    closed = frozenset({day_of(28, 0, 1), day_of(28, 0, 2), day_of(28, 0, 3)})
    result = plan(course(source=Source.MENSTRUAL_BLOOD, closed_dates=closed))
    assert result.step("harvest").date == day_of(28, 1, 2)


def test_umbilical_cord_has_no_harvest_and_expands_from_first_open_day():
    saturday = date(2025, 1, 11)
    uc = course(
        source=Source.UMBILICAL_CORD, not_before=saturday, open_weekdays=frozenset(range(5))
    )
    result = plan(uc)
    assert StepKind.HARVEST not in {s.kind for s in result.steps}
    expansion = result.step("expansion")
    assert expansion.date == date(2025, 1, 13)
    assert expansion.ready_by == date(2025, 2, 3)
    assert result.step("infusion-1").date >= date(2025, 2, 3)


def test_harvest_recorded_is_done_and_infusion_implies_harvest():
    harvested = plan(course(facts=Facts(harvested_on=date(2025, 1, 2))))
    assert harvested.step("harvest").done and harvested.step("harvest").date == date(2025, 1, 2)
    infused = plan(course(facts=Facts(infusions_done=(day_of(28, 0, 10),))))
    assert StepKind.HARVEST not in {s.kind for s in infused.steps}
    assert all(s.date is None or s.date >= day_of(28, 0, 10) for s in infused.steps)


# -- infusion ----------------------------------------------------------------------------------


@pytest.mark.parametrize("length", LENGTHS)
def test_first_infusion_from_ready_by(length):
    # harvest on ANCHOR, ready by ANCHOR + 21 = CD22 of cycle 0
    result = plan(course(length))
    infusion = result.step("infusion-1")
    if length == 45:  # O = 31: CD22 is still proliferative, the nearest allowed day >= ready
        assert (infusion.date, infusion.cycle_day) == (day_of(45, 0, 22), 22)
        assert not infusion.tentative and infusion.uncertainty_days == 0
    else:
        assert infusion.date == day_of(length, 1, INFUSION_DAY[length])
        assert infusion.cycle_day == INFUSION_DAY[length]
        assert infusion.tentative and infusion.uncertainty_days == 2
    assert infusion.phase in ("proliferative", "late-proliferative")


@pytest.mark.parametrize("length", LENGTHS)
def test_infusion_preferred_day_clamped_into_proliferative_window(length):
    result = plan(course(length, facts=released_in(length, 2)))
    infusion = result.step("infusion-1")
    assert infusion.date == day_of(length, 2, INFUSION_DAY[length])
    assert infusion.window_start == day_of(length, 2, 6)
    assert infusion.window_end == day_of(length, 2, OVULATION[length])


def test_infusion_moves_to_nearest_open_day_ties_earlier():
    def infusion_with(closed_days):
        closed = frozenset(day_of(28, 1, d) for d in closed_days)
        return plan(course(facts=released_in(28, 1), closed_dates=closed)).step("infusion-1")

    assert infusion_with([10]).cycle_day == 9  # 9 and 11 tie: the earlier
    assert infusion_with([9, 10]).cycle_day == 11
    assert infusion_with([9, 10, 11]).cycle_day == 8  # 8 and 12 tie
    assert infusion_with(range(6, 15)).date == day_of(28, 2, 10)  # whole window closed


def test_infusion_on_weekend_moves_to_weekday():
    weekdays = frozenset(range(5))
    # ANCHOR is a Monday and L = 28: CD10 of every cycle is a Wednesday; with L = 26 cycle 1's
    # CD10 is ANCHOR + 35 = a Monday, cycle 2's is ANCHOR + 61 = a Saturday -> Friday CD9.
    result = plan(course(26, facts=released_in(26, 2), open_weekdays=weekdays))
    infusion = result.step("infusion-1")
    assert day_of(26, 2, 10).weekday() == 5
    assert (infusion.date, infusion.cycle_day) == (day_of(26, 2, 9), 9)
    # L = 27, cycle 1: CD10 = ANCHOR + 36 is a Tuesday; cycle 3 CD10 = ANCHOR + 90 is a Sunday
    result = plan(course(27, facts=released_in(27, 3), open_weekdays=weekdays))
    assert day_of(27, 3, 10).weekday() == 6
    assert result.step("infusion-1").cycle_day == 11  # Saturday CD9 closed, Monday CD11


def test_infusion_before_preferred_day_never_earlier_than_release():
    facts = Facts(released_on=day_of(28, 1, 12))
    infusion = plan(course(facts=facts)).step("infusion-1")
    assert infusion.date == day_of(28, 1, 12)


# -- intrauterine-artery route -----------------------------------------------------------------


def test_artery_route_refused_for_short_cycles():
    with pytest.raises(PlanRefused, match="cycle day 7") as error:
        plan(course(21, route=Route.INTRAUTERINE_ARTERY))
    assert "intrauterine-artery" in str(error.value)
    with pytest.raises(PlanRefused, match="cycle day 9"):  # L 25, luteal 16: O = 9 < 10
        plan(course(25, route=Route.INTRAUTERINE_ARTERY, luteal_length=16))


@pytest.mark.parametrize("length", [24, 28, 35, 45])
def test_artery_route_day_10_within_9_to_11(length):
    result = plan(course(length, route=Route.INTRAUTERINE_ARTERY, facts=released_in(length, 1)))
    infusion = result.step("infusion-1")
    assert infusion.date == day_of(length, 1, 10)
    assert infusion.window_start == day_of(length, 1, 9)
    assert infusion.window_end == day_of(length, 1, min(11, OVULATION[length]))


def test_artery_route_closed_days_stay_in_9_to_11():
    def artery(length, closed_days):
        closed = frozenset(day_of(length, 1, d) for d in closed_days)
        facts = released_in(length, 1)
        c = course(length, route=Route.INTRAUTERINE_ARTERY, facts=facts, closed_dates=closed)
        return plan(c).step("infusion-1")

    assert artery(28, [10]).cycle_day == 9
    assert artery(28, [9, 10]).cycle_day == 11
    assert artery(24, [10]).cycle_day == 9  # O = 10: window CD9-10
    moved = artery(24, [9, 10])  # no day left in cycle 1: cycle 2, never CD8 or CD11
    assert moved.date == day_of(24, 2, 10)
    assert artery(28, [9, 10, 11]).date == day_of(28, 2, 10)


# -- ultrasound, transfer window, follow-ups ---------------------------------------------------


@pytest.mark.parametrize("length", LENGTHS)
def test_ultrasound_in_next_cycle_late_proliferative(length):
    result = plan(course(length, facts=released_in(length, 1)))
    ultrasound = result.step("ultrasound-1")
    assert ultrasound.date == day_of(length, 2, ULTRASOUND_DAY[length])
    assert ultrasound.phase == "late-proliferative"
    assert ultrasound.window_start == day_of(length, 2, max(6, OVULATION[length] - 3))
    assert ultrasound.window_end == day_of(length, 2, OVULATION[length])


def test_ultrasound_closed_preferred_day_ties_earlier():
    closed = frozenset({day_of(28, 2, 12)})
    result = plan(course(facts=released_in(28, 1), closed_dates=closed))
    assert result.step("ultrasound-1").cycle_day == 11


@pytest.mark.parametrize("length", LENGTHS)
def test_transfer_window_cycles_three_and_four_after_last_infusion(length):
    result = plan(course(length, facts=released_in(length, 1)))
    window = result.step("transfer-window")
    assert window.kind == StepKind.TRANSFER_WINDOW
    assert window.window_start == day_of(length, 4, 1)
    assert window.window_end == day_of(length, 6, 1) - timedelta(days=1)
    assert window.suggested == (
        day_of(length, 4, TRANSFER_DAY[length]),
        day_of(length, 5, TRANSFER_DAY[length]),
    )


def test_transfer_suggested_day_moves_within_luteal_phase():
    closed = frozenset({day_of(28, 4, 19), day_of(28, 4, 18), day_of(28, 5, 19)})
    result = plan(course(facts=released_in(28, 1), closed_dates=closed))
    assert result.step("transfer-window").suggested == (day_of(28, 4, 20), day_of(28, 5, 18))


def test_transfer_suggested_day_left_out_when_luteal_phase_closed():
    closed = frozenset(day_of(28, 4, d) for d in range(15, 29))
    result = plan(course(facts=released_in(28, 1), closed_dates=closed))
    assert result.step("transfer-window").suggested == (day_of(28, 5, 19),)


def test_transfer_suggested_days_not_before_the_first_visit_date():
    facts = Facts(
        released_on=day_of(28, 1, 1),
        infusions_done=(day_of(28, 1, 10),),
        thickness_results=((day_of(28, 2, 12), 8.0),),
    )
    result = plan(course(facts=facts, not_before=day_of(28, 4, 22)))
    # cycle 4's CD19 has passed: the nearest luteal day from not-before is its CD22
    assert result.step("transfer-window").suggested == (day_of(28, 4, 22), day_of(28, 5, 19))


def test_full_28_day_course_literal_dates():
    result = plan(course(28))
    assert result.step("harvest").date == date(2025, 1, 6)
    assert result.step("infusion-1").date == date(2025, 2, 12)  # cycle from 02-03, CD10
    assert result.step("ultrasound-1").date == date(2025, 3, 14)  # cycle from 03-03, CD12
    window = result.step("transfer-window")  # cycles from 04-28 and 05-26
    assert (window.window_start, window.window_end) == (date(2025, 4, 28), date(2025, 6, 22))
    assert window.suggested == (date(2025, 5, 16), date(2025, 6, 13))
    # 3 months: 05-12 is CD15 of the cycle from 04-28; its CD12 (05-09) is past -> 05-26 + 11
    assert result.step("follow-up-3").date == date(2025, 6, 6)
    assert result.step("follow-up-6").date == date(2025, 8, 29)  # 08-12 -> cycle 08-18
    assert result.step("follow-up-12").date == date(2026, 2, 13)  # 02-12 is CD11 of 02-02
    assert [s.key for s in result.steps] == [
        "harvest",
        "expansion",
        "infusion-1",
        "ultrasound-1",
        "transfer-window",
        "follow-up-3",
        "follow-up-6",
        "follow-up-12",
    ]


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("months", [3, 6, 12])
def test_follow_up_snapped_to_preferred_ultrasound_day(length, months):
    result = plan(course(length, facts=released_in(length, 1)))
    infused = result.step("infusion-1").date
    due = infused + relativedelta(months=+months)
    cycle = (due - ANCHOR).days // length
    expected = day_of(length, cycle, ULTRASOUND_DAY[length])
    if expected < due:
        expected = day_of(length, cycle + 1, ULTRASOUND_DAY[length])
    follow_up = result.step(f"follow-up-{months}")
    assert (follow_up.date, follow_up.months) == (expected, months)
    assert follow_up.phase == "late-proliferative"


# -- expiry ------------------------------------------------------------------------------------


def test_expiry_before_any_window_day_is_refused():
    facts = Facts(released_on=day_of(28, 1, 16), expires_on=day_of(28, 1, 20))
    with pytest.raises(PlanRefused, match="expires on 2025-02-22"):
        plan(course(facts=facts))


def test_expiry_picks_an_allowed_day_before_it():
    facts = Facts(released_on=day_of(28, 1, 1), expires_on=day_of(28, 1, 8))
    assert plan(course(facts=facts)).step("infusion-1").cycle_day == 8


def test_expiry_refuses_a_later_infusion_too():
    facts = Facts(released_on=day_of(28, 1, 1), expires_on=day_of(28, 2, 1))
    with pytest.raises(PlanRefused, match=r"[Ii]nfusion 2"):
        plan(course(planned_infusions=2, facts=facts))


# -- irregular cycles and tentative dates ------------------------------------------------------


def test_irregular_history_warns_and_marks_predicted_steps_tentative():
    starts = (ANCHOR, ANCHOR - timedelta(36), ANCHOR - timedelta(36 + 24))
    result = plan(course(period_starts=starts))
    assert result.cycle.irregular and result.cycle.length == 30
    assert any("tentative" in w and "irregular" in w for w in result.warnings)
    infusion = result.step("infusion-1")  # ready by ANCHOR + 21 = CD22 > O 16: cycle 1
    assert infusion.date == ANCHOR + timedelta(30 + 9)
    assert infusion.tentative and infusion.uncertainty_days == 12  # spread 36 - 24
    assert result.step("ultrasound-1").uncertainty_days == 17  # ceil(12 * sqrt 2)
    assert not result.step("harvest").tentative


def test_steps_in_the_reported_cycle_are_firm():
    result = plan(course(28, facts=Facts(released_on=ANCHOR)))
    infusion = result.step("infusion-1")
    assert infusion.date == day_of(28, 0, 10)
    assert (infusion.tentative, infusion.uncertainty_days) == (False, 0)
    ultrasound = result.step("ultrasound-1")
    assert (ultrasound.tentative, ultrasound.uncertainty_days) == (True, 2)


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
    assert result.step("follow-up-3").date == date(2025, 6, 6)
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
    assert warning.startswith(f"Infusion 1 was set for {luteal}, which no longer fits")
    assert "luteal" in warning and str(day_of(28, 1, 10)) in warning


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
