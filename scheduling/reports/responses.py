"""Which thickness result is a course's response, by the engine's one rule.

The same reading the planner makes (``timeline.rules.CourseRules`` estimates her cycle and
``timeline.response.read_results`` picks each infusion's response result); the course's
decided response is the one of its last done infusion. Cached by its inputs (all pure,
hashable), as the calendar caches its cycle labels.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from scheduling.timeline.cycles import CycleCalendar, InvalidCourse
from scheduling.timeline.history import estimate_cycle
from scheduling.timeline.response import read_results
from scheduling.timeline.steps import Protocol, Thickness


@lru_cache(maxsize=65536)
def decided_response(
    period_starts: tuple[date, ...],
    stated_length: int,
    luteal: int,
    open_weekdays: frozenset[int],
    closed: frozenset[date],
    protocol: Protocol,
    infusions: tuple[date, ...],
    results: tuple[Thickness, ...],
) -> float | None:
    """The thickness (mm) that decided the course after its last done infusion; None when
    there is none (no infusion, no response result yet, or her cycle cannot be read)."""
    if not infusions or not results or not period_starts:
        return None
    try:
        estimate = estimate_cycle(
            period_starts,
            stated_length=stated_length,
            luteal=luteal,
            min_gap_days=protocol.min_period_gap_days,
            missed_tolerance_days=protocol.missed_period_tolerance_days,
        )
    except InvalidCourse:
        return None
    cycles = CycleCalendar(estimate, open_weekdays, closed)
    done = sorted(day.toordinal() for day in infusions)
    reading = read_results(cycles, done, results, protocol.response_window_days)
    decided = reading.responses.get(len(done))
    return None if decided is None else decided.mm
