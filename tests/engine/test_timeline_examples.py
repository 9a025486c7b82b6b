"""Worked examples of the clinical timing rules (DESIGN.md §3), expectations derived by hand:
cycles, harvest, infusion, the artery route, ultrasound, transfer window, follow-ups, expiry.

Most examples use a clinic open every day, so only the cycle rule under test decides the date,
and a history of exact cycles ending on ANCHOR (a Monday): see ``timeline_cases``.
"""

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
    Facts,
    PlanRefused,
    Route,
    Source,
    StepKind,
    describe_day,
    estimate_cycle,
    plan,
)

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
    # 3 months: 05-12 is CD15 of the cycle from 04-28; its CD12 (05-09) is past -> 05-26 + 11,
    # inside the transfer window -> the CD12 of the first cycle after it (06-23 + 11)
    assert result.step("follow-up-3").date == date(2025, 7, 4)
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
    window = result.step("transfer-window")
    if window.window_start <= expected <= window.window_end:  # the cycle after the window
        expected = day_of(
            length, (window.window_end - ANCHOR).days // length + 1, ULTRASOUND_DAY[length]
        )
    follow_up = result.step(f"follow-up-{months}")
    assert (follow_up.date, follow_up.months) == (expected, months)
    assert follow_up.phase == "late-proliferative"


# -- expiry ------------------------------------------------------------------------------------


def test_expiry_before_any_window_day_is_refused():
    facts = Facts(released_on=day_of(28, 1, 16), expires_on=day_of(28, 1, 20))
    with pytest.raises(PlanRefused, match="expires on Sat 22 Feb 2025"):
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
