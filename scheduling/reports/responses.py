"""Which thickness result is a course's decided response, by the engine's one rule.

The re-plan stores it on the course (``Course.response_on``/``response_mm``) from the plan it
computes (``plan_response``): the response result of the course's last done infusion. When the
engine refuses the plan, the same reading the planner makes is done on its own
(``input_response``: ``estimate_cycle``, ``CycleCalendar``, ``read_results``), so a refused
course keeps the response its results decided. The outcomes report reads the stored values.
"""

from __future__ import annotations

from datetime import date

from scheduling.timeline.cycles import CycleCalendar, InvalidCourse
from scheduling.timeline.history import estimate_cycle
from scheduling.timeline.response import read_results
from scheduling.timeline.steps import CourseInput, Plan, Protocol, StepKind, Thickness


def plan_response(plan: Plan) -> tuple[date, float] | None:
    """(day, mm) of the result that decided the plan after its last done infusion."""
    done = sum(1 for step in plan.steps if step.kind == StepKind.INFUSION and step.done)
    for seen in plan.observations:
        if done and seen.role == "response" and seen.number == done:
            return seen.on, seen.mm
    return None


def input_response(course: CourseInput) -> tuple[date, float] | None:
    """(day, mm) of the decided response read from the engine's input, without a plan."""
    return decided_response(
        course.period_starts,
        course.stated_cycle_length,
        course.luteal_length,
        course.open_weekdays,
        course.closed_dates,
        course.protocol,
        course.facts.infusions_done,
        course.facts.thickness_results,
    )


def decided_response(
    period_starts: tuple[date, ...],
    stated_length: int,
    luteal: int,
    open_weekdays: frozenset[int],
    closed: frozenset[date],
    protocol: Protocol,
    infusions: tuple[date, ...],
    results: tuple[Thickness, ...],
) -> tuple[date, float] | None:
    """(day, mm) of the result that decided the course after its last done infusion; None when
    there is none (no infusion, no response result yet, or her cycle cannot be read)."""
    if not infusions or not results or not period_starts:
        return None
    try:
        estimate = estimate_cycle(
            tuple(sorted(period_starts)),
            stated_length=stated_length,
            luteal=luteal,
            min_gap_days=protocol.min_period_gap_days,
            missed_tolerance_days=protocol.missed_period_tolerance_days,
        )
        cycles = CycleCalendar(estimate, open_weekdays, closed)
        done = sorted(day.toordinal() for day in infusions)
        reading = read_results(cycles, done, results, protocol.response_window_days)
    except InvalidCourse:
        return None
    decided = reading.responses.get(len(done))
    return None if decided is None else (decided.on, decided.mm)
