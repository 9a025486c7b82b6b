"""Cycle history sanity (issue 10, DESIGN §3): near-duplicate and missed period starts, and
honest uncertainty for the current cycle of an irregular or estimated pattern."""

from datetime import date, timedelta

import pytest

from scheduling.timeline import (
    CourseInput,
    Facts,
    Protocol,
    Route,
    Source,
    describe_day,
    estimate_cycle,
    period_start_conflict,
    plan,
)

ANCHOR = date(2025, 1, 6)  # a Monday
EVERY_DAY = frozenset(range(7))


def course(starts, **changes) -> CourseInput:
    values = {
        "source": Source.BONE_MARROW,
        "route": Route.INTRAUTERINE,
        "planned_infusions": 1,
        "not_before": ANCHOR,
        "period_starts": tuple(starts),
        "open_weekdays": EVERY_DAY,
    }
    values.update(changes)
    return CourseInput(**values)


# -- period_start_conflict --------------------------------------------------------------------


def test_a_start_within_the_minimum_gap_is_a_conflict_naming_both_dates():
    known = [date(2025, 1, 1), date(2025, 1, 29)]
    sentence = period_start_conflict(known, date(2025, 2, 3))
    assert sentence is not None and "Mon 3 Feb 2025" in sentence and "Wed 29 Jan 2025" in sentence
    assert "5 days after" in sentence
    before = period_start_conflict(known, date(2025, 1, 27))
    assert before is not None and "2 days before the one reported on Wed 29 Jan 2025" in before


def test_an_exact_duplicate_or_a_start_far_enough_is_no_conflict():
    known = [date(2025, 1, 1), date(2025, 1, 29)]
    assert period_start_conflict(known, date(2025, 1, 29)) is None
    assert period_start_conflict(known, date(2025, 2, 8)) is None  # 10 days: allowed
    assert period_start_conflict(known, date(2025, 2, 8), min_gap_days=12) is not None
    assert period_start_conflict([], date(2025, 2, 8)) is None


# -- near-duplicates -----------------------------------------------------------------------------


def test_near_duplicate_starts_are_ignored_and_never_wedge_planning():
    starts = [ANCHOR - timedelta(56), ANCHOR - timedelta(28), ANCHOR - timedelta(27), ANCHOR]
    estimate = estimate_cycle(starts)
    assert (estimate.length, estimate.intervals, estimate.estimated) == (28, (28, 28), True)
    assert ANCHOR - timedelta(27) not in estimate.starts
    (warning,) = estimate.warnings
    assert "Tue 10 Dec 2024 is only 1 day after the one on Mon 9 Dec 2024: ignored" in warning
    result = plan(course(starts))
    assert warning in result.warnings and result.step("infusion-1")


def test_three_starts_one_a_day_after_another_plan_with_the_stated_length():
    # 28, 1: the old median (14) made every plan raise
    starts = [ANCHOR - timedelta(28), ANCHOR - timedelta(27), ANCHOR - timedelta(25)]
    estimate = estimate_cycle(starts)
    assert estimate.length == 28 and len(estimate.warnings) == 2
    assert plan(course(starts)).cycle.length == 28


def test_the_minimum_gap_is_a_protocol_parameter():
    starts = [ANCHOR - timedelta(40), ANCHOR - timedelta(28), ANCHOR]
    assert plan(course(starts)).cycle.intervals == (12, 28)
    wide = plan(course(starts, protocol=Protocol(min_period_gap_days=15)))
    assert wide.cycle.intervals == (40,) and wide.cycle.estimated


# -- missed reports ------------------------------------------------------------------------------


def test_an_interval_of_two_typical_cycles_is_split():
    starts = [date(2024, 12, 4), date(2025, 1, 1), date(2025, 2, 26)]  # 28, then 56
    estimate = estimate_cycle(starts)
    assert estimate.length == 28  # was (28 + 56) // 2 = 42
    assert estimate.intervals == (28, 28, 28) and estimate.estimated
    assert estimate.inferred == (date(2025, 1, 29),)
    assert estimate.starts == tuple(starts)  # an inferred start is never a reported one
    assert estimate.warnings == (
        "The 56 days between 1 Jan and 26 Feb look like a missed period report: counted as 2 "
        "cycles of 28 days.",
    )


def test_three_cycles_within_the_tolerance_and_a_year_boundary():
    starts = [date(2024, 9, 2), date(2024, 9, 30), date(2024, 10, 28), date(2025, 1, 22)]
    estimate = estimate_cycle(starts)  # 28, 28, 86 = 3 x 28 + 2
    assert estimate.intervals == (28, 28, 29, 28, 29) and estimate.length == 28
    assert "between 28 Oct 2024 and 22 Jan 2025" in estimate.warnings[0]
    assert "counted as 3 cycles of about 28 days" in estimate.warnings[0]


def test_two_starts_far_apart_are_read_against_the_stated_length():
    estimate = estimate_cycle([ANCHOR - timedelta(60), ANCHOR], stated_length=30)
    assert (estimate.length, estimate.intervals) == (30, (30, 30))
    assert estimate_cycle([ANCHOR - timedelta(50), ANCHOR]).length == 50  # not 2 x 28 +/- 4


def test_an_interval_outside_the_tolerance_is_kept():
    starts = [ANCHOR - timedelta(28 + 28 + 50), ANCHOR - timedelta(50 + 28), ANCHOR - timedelta(50)]
    estimate = estimate_cycle([*starts, ANCHOR])
    assert 50 in estimate.intervals and not estimate.inferred
    tolerant = estimate_cycle([*starts, ANCHOR], missed_tolerance_days=6)
    assert tolerant.inferred and tolerant.intervals == (28, 28, 25, 25)


def test_a_day_in_an_inferred_cycle_is_tentative():
    estimate = estimate_cycle([date(2024, 12, 4), date(2025, 1, 1), date(2025, 2, 26)])
    inferred = describe_day(estimate, date(2025, 2, 1))
    assert (inferred.cycle_start, inferred.cycle_day) == (date(2025, 1, 29), 4)
    assert inferred.tentative and inferred.uncertainty_days == 2
    assert not describe_day(estimate, date(2025, 1, 20)).tentative


# -- honest uncertainty of the current cycle -----------------------------------------------------


def test_the_current_cycle_is_tentative_past_its_menses_when_only_stated():
    harvest = plan(course([ANCHOR], source=Source.MENSTRUAL_BLOOD)).step("harvest")
    assert harvest.date == ANCHOR + timedelta(1) and not harvest.tentative  # CD2: menstrual
    result = plan(course([ANCHOR], facts=Facts(released_on=ANCHOR)))
    infusion = result.step("infusion-1")  # CD10 of the current cycle: counted from a guess
    assert infusion.cycle_start == ANCHOR and infusion.cycle_day == 10
    assert infusion.tentative and infusion.uncertainty_days == 3
    estimate = result.cycle
    assert not describe_day(estimate, ANCHOR + timedelta(4)).tentative
    assert describe_day(estimate, ANCHOR + timedelta(5)).uncertainty_days == 3


def test_the_current_cycle_is_tentative_past_its_menses_when_irregular():
    starts = (ANCHOR, ANCHOR - timedelta(36), ANCHOR - timedelta(36 + 24))
    result = plan(course(starts, facts=Facts(released_on=ANCHOR)))
    infusion = result.step("infusion-1")
    assert infusion.cycle_start == ANCHOR and infusion.tentative
    assert infusion.uncertainty_days == 12


@pytest.mark.parametrize("length", [21, 28, 35])
def test_a_regular_measured_current_cycle_stays_firm(length):
    starts = [ANCHOR - timedelta(length * k) for k in range(3)]
    info = describe_day(estimate_cycle(starts, stated_length=length), ANCHOR + timedelta(7))
    assert not info.tentative and info.uncertainty_days == 0
