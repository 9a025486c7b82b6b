"""Refusing the impossible (issue 10): one validation, ``InvalidFact`` naming the field."""

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from scheduling.timeline import (
    CourseInput,
    Facts,
    InvalidCourse,
    InvalidFact,
    Protocol,
    Route,
    Source,
    Thickness,
    plan,
    validate_facts,
)

ANCHOR = date(2025, 1, 6)
TODAY = date(2025, 6, 1)


def course(**changes) -> CourseInput:
    values = {
        "source": Source.BONE_MARROW,
        "route": Route.INTRAUTERINE,
        "planned_infusions": 1,
        "not_before": ANCHOR,
        "period_starts": (ANCHOR - timedelta(28), ANCHOR),
    }
    values.update(changes)
    return CourseInput(**values)


def refused(changes: dict) -> InvalidFact:
    with pytest.raises(InvalidFact) as error:
        plan(course(**changes))
    assert str(error.value).endswith(".") and "\n" not in str(error.value)
    return error.value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"period_starts": (date(1, 1, 1),)}, "period_start"),
        ({"period_starts": (ANCHOR, date(9999, 12, 31))}, "period_start"),
        ({"not_before": date(1899, 12, 31)}, "not_before"),
        ({"closed_dates": frozenset({date(2200, 1, 1)})}, "closed_date"),
        ({"chosen_days": (("infusion-1", date(1, 1, 1)),)}, "chosen_day"),
        ({"facts": Facts(harvested_on=date(1, 1, 1))}, "harvested_on"),
        ({"facts": Facts(released_on=date(9999, 1, 1))}, "released_on"),
        ({"facts": Facts(expires_on=date(9999, 1, 1))}, "expires_on"),
        ({"facts": Facts(infusions_done=(date(1, 1, 1),))}, "infused_on"),
        ({"facts": Facts(thickness_results=((date(1, 1, 1), 5.0),))}, "measured_on"),
        ({"facts": Facts(thickness_results=((ANCHOR, 0.0),))}, "thickness_mm"),
        ({"facts": Facts(thickness_results=((ANCHOR, -1.0),))}, "thickness_mm"),
        ({"facts": Facts(thickness_results=((ANCHOR, 30.5),))}, "thickness_mm"),
        ({"facts": Facts(thickness_results=((ANCHOR, 1e9),))}, "thickness_mm"),
        ({"facts": Facts(thickness_results=((ANCHOR, math.nan),))}, "thickness_mm"),
        ({"facts": Facts(thickness_results=((ANCHOR, math.inf),))}, "thickness_mm"),
        ({"facts": Facts(infusions_done=(ANCHOR, ANCHOR))}, "infused_on"),
    ],
)
def test_impossible_input_names_its_field(changes, field):
    assert refused(changes).field == field


def test_release_before_harvest_and_expiry_before_release_read_the_right_way_round():
    early = refused({"facts": Facts(harvested_on=date(2025, 2, 1), released_on=date(2025, 1, 20))})
    assert early.field == "released_on"
    assert (
        str(early) == "The release (Mon 20 Jan 2025) cannot be before the harvest (Sat 1 Feb 2025)."
    )
    expired = refused({"facts": Facts(released_on=date(2025, 3, 1), expires_on=date(2025, 2, 1))})
    assert expired.field == "expires_on"
    assert str(expired) == "The expiry (Sat 1 Feb 2025) must be after the release (Sat 1 Mar 2025)."
    assert refused({"facts": Facts(released_on=ANCHOR, expires_on=ANCHOR)}).field == "expires_on"


def test_two_results_on_one_day_must_agree_and_one_result_per_visit():
    clash = refused({"facts": Facts(thickness_results=((ANCHOR, 6.0), (ANCHOR, 7.5)))})
    assert str(clash) == (
        "Two thickness results are recorded on Mon 6 Jan 2025: 6 mm and 7.5 mm; keep one."
    )
    assert clash.field == "measured_on"
    same = Facts(thickness_results=((ANCHOR, 6.0), Thickness(ANCHOR, 6.0)))
    assert plan(course(facts=same)).observations  # the same value twice: not a contradiction
    twice = (
        Thickness(ANCHOR, 6.0, "ultrasound-1"),
        Thickness(ANCHOR + timedelta(1), 6.5, "ultrasound-1"),
    )
    assert refused({"facts": Facts(thickness_results=twice)}).field == "step_key"


def test_invalid_fact_is_an_invalid_course():
    assert issubclass(InvalidFact, InvalidCourse)
    with pytest.raises(InvalidCourse):
        plan(course(facts=Facts(thickness_results=((ANCHOR, 0.0),))))


@pytest.mark.parametrize(
    "protocol",
    [
        Protocol(response_window_days=0),
        Protocol(response_window_days=11),
        Protocol(min_period_gap_days=0),
        Protocol(missed_period_tolerance_days=8),
        Protocol(artery_preferred_day=12),
    ],
)
def test_protocol_parameters_out_of_range(protocol):
    with pytest.raises(InvalidCourse):
        plan(course(protocol=protocol))


def test_only_ultrasounds_follow_ups_and_the_transfer_window_can_be_dropped():
    with pytest.raises(InvalidCourse, match="lower the planned infusions"):
        plan(course(dropped_steps=frozenset({"infusion-2"})))


# -- validate_facts: a caller with a clock ----------------------------------------------------


def test_validate_facts_accepts_a_real_course():
    facts = Facts(
        harvested_on=date(2025, 1, 6),
        released_on=date(2025, 1, 27),
        expires_on=date(2025, 12, 1),  # the expiry may be ahead
        infusions_done=(date(2025, 2, 12),),
        thickness_results=(Thickness(date(2025, 3, 14), 7.5, "ultrasound-1"),),
    )
    validate_facts(facts, today=TODAY)
    validate_facts(Facts(), today=TODAY)


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        (Facts(harvested_on=TODAY + timedelta(1)), "harvested_on", "cannot be in the future"),
        (Facts(released_on=TODAY + timedelta(1)), "released_on", "cannot be in the future"),
        (Facts(infusions_done=(TODAY + timedelta(1),)), "infused_on", "future"),
        (Facts(thickness_results=((TODAY + timedelta(1), 7.0),)), "measured_on", "future"),
        (Facts(harvested_on=date(2014, 1, 1)), "harvested_on", "ten years ago"),
        (Facts(expires_on=date(2028, 1, 1)), "expires_on", "two years ahead"),
        (Facts(expires_on=date(1, 1, 1)), "expires_on", "between 1900-01-01"),
        (Facts(thickness_results=((TODAY, math.nan),)), "thickness_mm", "millimetres"),
    ],
)
def test_validate_facts_refuses_implausible_dates(facts, field, words):
    with pytest.raises(InvalidFact) as error:
        validate_facts(facts, today=TODAY)
    assert error.value.field == field and words in str(error.value)


def test_validate_facts_refuses_an_impossible_today():
    with pytest.raises(InvalidFact):
        validate_facts(Facts(), today=date(1, 1, 1))


def test_the_planner_reads_no_clock_for_facts():
    """Without a clock, a result next year is still a date the engine can plan with."""
    later = replace(course(), facts=Facts(thickness_results=((date(2026, 1, 1), 6.0),)))
    assert plan(later).observations[0].role == "baseline"
