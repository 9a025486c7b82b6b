"""Which thickness result decides (issue 10, DESIGN §2.6), worked by hand.

A history of exact 28-day cycles ending on ANCHOR (a Monday), a clinic open every day, cells
released on CD1 of cycle 1: infusion 1 on CD10 of cycle 1. O = 14, so the response window of
cycle 2 is CD11-CD14 (response_window_days 3) and its ultrasound is planned on CD12.
"""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from scheduling.timeline import (
    CourseInput,
    Facts,
    Observation,
    Outcome,
    Protocol,
    Route,
    Source,
    Thickness,
    plan,
    plan_to_dict,
)
from scheduling.timeline.dates import spoken

ANCHOR = date(2025, 1, 6)
EVERY_DAY = frozenset(range(7))


def day_of(cycle: int, cycle_day: int, length: int = 28) -> date:
    return ANCHOR + timedelta(days=cycle * length + cycle_day - 1)


INFUSED = day_of(1, 10)


def course(results=(), infused=(INFUSED,), planned=1, **changes) -> CourseInput:
    values = {
        "source": Source.BONE_MARROW,
        "route": Route.INTRAUTERINE,
        "planned_infusions": planned,
        "not_before": ANCHOR,
        "period_starts": tuple(ANCHOR - timedelta(days=28 * k) for k in range(4)),
        "open_weekdays": EVERY_DAY,
        "facts": Facts(
            released_on=day_of(1, 1), infusions_done=tuple(infused), thickness_results=results
        ),
    }
    values.update(changes)
    return CourseInput(**values)


def roles(result) -> list[tuple[date, str, int | None]]:
    return [(o.on, o.role, o.number) for o in result.observations]


def test_a_result_on_the_infusion_day_is_an_observation():
    result = plan(course(((INFUSED, 8.0),)))
    assert result.outcome == Outcome.PENDING  # was RESPONDED: the old, wrong rule
    ultrasound = result.step("ultrasound-1")
    assert not ultrasound.done and ultrasound.date == day_of(2, 12)
    (seen,) = result.observations
    assert (seen.role, seen.number) == ("observation", None)
    assert seen.note == (
        f"Measured on {spoken(INFUSED)}, the day of infusion 1: an observation; only the "
        "ultrasound in the next cycle's late-proliferative window decides."
    )


def test_a_follow_up_result_below_threshold_never_reopens_a_responded_course():
    responded = plan(course(((day_of(2, 12), 8.0),), planned=3))
    follow_up = responded.step("follow-up-3").date
    later = plan(course(((day_of(2, 12), 8.0), (follow_up, 6.5)), planned=3))
    assert later.outcome == responded.outcome == Outcome.RESPONDED
    assert later.steps == responded.steps
    assert roles(later) == [(day_of(2, 12), "response", 1), (follow_up, "observation", None)]
    assert "after the response ultrasound of Fri 14 Mar 2025 decided" in later.observations[1].note


def test_the_response_window_result_decides():
    result = plan(course(((day_of(2, 11), 5.5),)))
    assert result.step("ultrasound-1").done and result.step("ultrasound-1").thickness_mm == 5.5
    assert result.step("infusion-2").date == day_of(3, 10)
    assert result.observations == (Observation(day_of(2, 11), 5.5, "response", None, 1),)


def test_the_first_result_in_the_window_decides_and_a_second_is_an_observation():
    result = plan(course(((day_of(2, 13), 8.0), (day_of(2, 11), 5.0))))
    assert result.step("ultrasound-1").date == day_of(2, 11)
    assert result.outcome == Outcome.PENDING and result.step("infusion-2")
    assert roles(result) == [(day_of(2, 11), "response", 1), (day_of(2, 13), "observation", None)]


@pytest.mark.parametrize(
    ("cycle", "cycle_day", "words"),
    [
        (2, 3, "cycle day 3 (menstrual phase)"),
        (2, 9, "cycle day 9 (proliferative phase)"),
        (2, 16, "cycle day 16 (luteal phase)"),
        (3, 12, "cycle day 12 (late-proliferative phase)"),
    ],
)
def test_a_result_outside_the_window_is_an_observation(cycle, cycle_day, words):
    measured = day_of(cycle, cycle_day)
    result = plan(course(((measured, 8.0),)))
    assert result.outcome == Outcome.PENDING
    assert result.steps == plan(course()).steps
    (seen,) = result.observations
    assert seen.role == "observation" and words in seen.note
    assert "cycle day 11-14 of the cycle from 2025-03-03" in seen.note


def test_a_result_in_the_infusion_cycle_is_an_observation():
    result = plan(course(((day_of(1, 13), 8.0),)))
    assert result.outcome == Outcome.PENDING
    assert "cycle day 13 of the cycle of infusion 1" in result.observations[0].note


def test_a_result_recorded_against_the_ultrasound_visit_decides_wherever_it_falls():
    late = day_of(3, 5)  # outside any window, but recorded against ultrasound-1
    result = plan(course((Thickness(day_of(2, 12), 8.0), Thickness(late, 5.0, "ultrasound-1"))))
    assert result.step("ultrasound-1").date == late and result.step("ultrasound-1").done
    assert result.step("infusion-2").date == day_of(4, 10)  # the cycle after the result's
    assert roles(result) == [(day_of(2, 12), "observation", None), (late, "response", 1)]
    assert "the response to infusion 1 is the result of" in result.observations[0].note


def test_a_result_recorded_against_another_visit_never_decides():
    result = plan(course((Thickness(day_of(2, 12), 8.0, "follow-up-3"),)))
    assert result.outcome == Outcome.PENDING
    assert result.observations[0].role == "observation"


def test_baseline_results_before_the_first_infusion():
    result = plan(course(((ANCHOR, 5.0),), infused=()))
    assert roles(result) == [(ANCHOR, "baseline", None)]
    assert "before the first infusion: a baseline" in result.observations[0].note


def test_only_the_last_infusions_response_decides():
    results = ((day_of(2, 12), 8.0), (day_of(4, 12), 5.0))
    result = plan(course(results, infused=(INFUSED, day_of(3, 10)), planned=2))
    assert result.step("ultrasound-1").thickness_mm == 8.0
    assert result.step("ultrasound-2").thickness_mm == 5.0
    assert result.step("infusion-3").date == day_of(5, 10)
    assert roles(result) == [(day_of(2, 12), "response", 1), (day_of(4, 12), "response", 2)]


def test_a_result_after_the_next_infusion_is_not_the_earlier_ones_response():
    # infusion 2 was given on CD10 of cycle 2, before the window of infusion 1 opened
    result = plan(course(((day_of(2, 12), 5.0),), infused=(INFUSED, day_of(2, 10)), planned=2))
    assert roles(result)[0][1] == "observation"
    assert any("No response thickness is recorded for infusion 1" in w for w in result.warnings)
    assert not result.step("ultrasound-2").done


def test_the_response_window_days_are_a_protocol_parameter():
    measured = ((day_of(2, 9), 8.0),)  # CD9: O - 5
    assert plan(course(measured)).outcome == Outcome.PENDING
    wide = plan(course(measured, protocol=Protocol(response_window_days=5)))
    assert wide.outcome == Outcome.RESPONDED


def test_the_window_follows_the_ultrasound_into_a_later_cycle_when_its_own_is_closed():
    closed = frozenset(day_of(2, d) for d in range(11, 15))
    planned = plan(course(closed_dates=closed)).step("ultrasound-1")
    assert planned.date == day_of(3, 12)
    result = plan(course(((day_of(3, 13), 8.0),), closed_dates=closed))
    assert result.outcome == Outcome.RESPONDED


def test_observations_are_in_the_json():
    follow_up = day_of(1, 10) + relativedelta(months=+3)
    data = plan_to_dict(plan(course(((day_of(2, 12), 8.0), (follow_up, 6.0)))))
    assert [o["role"] for o in data["observations"]] == ["response", "observation"]
    assert data["observations"][0] == {
        "date": "2025-03-14",
        "thickness_mm": 8.0,
        "role": "response",
        "number": 1,
        "note": None,
    }
    assert data["rejected_choices"] == [] and data["estimated"] is False
