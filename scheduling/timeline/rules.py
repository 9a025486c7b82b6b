"""What each step needs, and why a proposed day does not give it (the calendar's drag and drop).

``CourseRules`` holds one course's context (validated input, cycle estimate, clinic calendar,
the windows each visit may take) and says why a day is not allowed for a step. The planner
builds on it, so a day it plans and a day ``check_step_date`` accepts obey the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache, partial

from dateutil.relativedelta import relativedelta

from scheduling.timeline.cycles import (
    FIRST_PROLIFERATIVE_DAY,
    CycleCalendar,
    Window,
    artery_window,
    late_proliferative_window,
    luteal_window,
    phase_of_day,
    proliferative_window,
)
from scheduling.timeline.dates import spoken
from scheduling.timeline.facts import validate_course
from scheduling.timeline.history import estimate_cycle
from scheduling.timeline.steps import (
    CourseInput,
    Route,
    Source,
    Step,
    StepKind,
    label,
    sentence,
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_day = date.fromordinal
WindowRule = Callable[[int], Window | None]  # cycle length -> allowed cycle days


@lru_cache(maxsize=16384)
def months_after(day: int, months: int) -> int:
    """The ordinal ``months`` calendar months after ordinal ``day`` (dateutil's rule)."""
    return (_day(day) + relativedelta(months=+months)).toordinal()


class CourseRules:
    """One course's context and the rules its steps obey."""

    def __init__(self, course: CourseInput) -> None:
        self.results = validate_course(course)
        self.course, p = course, course.protocol
        self.estimate = estimate_cycle(
            course.period_starts,
            stated_length=course.stated_cycle_length,
            luteal=course.luteal_length,
            min_gap_days=p.min_period_gap_days,
            missed_tolerance_days=p.missed_period_tolerance_days,
        )
        self.cycles = CycleCalendar(self.estimate, course.open_weekdays, course.closed_dates)
        self.luteal = luteal = self.estimate.luteal
        self.late_window = partial(late_proliferative_window, luteal=luteal)
        if course.route == Route.INTRAUTERINE:
            preferred = p.preferred_infusion_day
            infusion = partial(proliferative_window, luteal=luteal, preferred=preferred)
        else:  # the course's preferred day is the intrauterine route's, never the artery's
            infusion = partial(
                artery_window, luteal=luteal, days=p.artery_days, preferred=p.artery_preferred_day
            )
        self.infusion_window = infusion
        low, high = p.menstrual_harvest_days
        self.menses = (low, high, min(max(p.menstrual_harvest_preferred_day, low), high))
        self.not_before = course.not_before.toordinal()
        expires_on = course.facts.expires_on
        self.expiry = None if expires_on is None else expires_on.toordinal()
        self.cells_ready = self.not_before  # first day the cells may be infused
        self.donor_lot = course.source == Source.UMBILICAL_CORD
        self.cells_name = "donor lot" if self.donor_lot else "cell batch"
        self.cycle_of: dict[str, int] = {}  # visit key -> cycle index
        self.anchors: dict[int, int] = {}  # planned infusion -> cycle index it must follow
        self.last_infusion = 0  # ordinal of the last infusion, done or planned
        self.transfer_days = (0, -1)  # first and last day of the transfer window, if planned

    def waits_for_dose(self) -> bool:
        """An umbilical-cord course's next infusion has no donor-lot dose allocated."""
        return self.donor_lot and self.course.facts.lot_allocated_on is None

    def menses_window(self, length: int) -> Window:
        return self.menses

    def reasons(self, step: Step, proposed: date, *, chosen: bool = False) -> list[str]:
        """Why ``step`` may not go on ``proposed`` (an empty list: it may). ``chosen``: a day
        the clinic chose earlier, which stays valid after planning's first day has passed it
        (a booked visit whose day has passed waits for its outcome; it is never re-planned)."""
        day = proposed.toordinal()
        index, start, length = self.cycles.locate(day)
        cycle_day = day - start + 1
        phase = phase_of_day(cycle_day, length, self.luteal)
        predicted = ", predicted" if self.cycles.uncertainty(index, cycle_day) else ""
        where = f"{spoken(proposed)} is cycle day {cycle_day} ({phase} phase{predicted})"
        reasons = []
        if day < self.not_before and step.kind != StepKind.TRANSFER_WINDOW and not chosen:
            reasons.append(
                f"{spoken(proposed)} is before this course's first visit date, "
                f"{spoken(self.not_before)}."
            )
        if not self.cycles.open_days[(day + 6) % 7]:
            reasons.append(f"The clinic is closed on {_WEEKDAYS[(day + 6) % 7]}s.")
        elif day in self.cycles.closed:
            reasons.append(f"The clinic is closed on {spoken(proposed)}.")
        rule = self._rule(step, length)
        if rule is not None:
            days, need = rule
            if days is None or not days[0] <= cycle_day <= days[1]:
                reasons.append(f"{sentence(label(step.key))} needs {need}; {where}.")
        return reasons + self._order_reasons(step, day, index)

    def _rule(self, step: Step, length: int) -> tuple[Window | None, str] | None:
        """The cycle-day window a step needs in a cycle of ``length`` days, and its wording."""
        ovulation = length - self.luteal
        if step.kind == StepKind.HARVEST:
            if self.course.source != Source.MENSTRUAL_BLOOD:
                return None
            return self.menses, f"cycle day {self.menses[0]}-{self.menses[1]} (menstrual blood)"
        if step.kind == StepKind.INFUSION:
            days = self.infusion_window(length)
            if self.course.route == Route.INTRAUTERINE:
                return days, f"the proliferative phase, cycle day 6-{ovulation}"
            low, high = self.course.protocol.artery_days
            high = min(high, ovulation) if days else high
            return days, f"cycle day {low}-{high} in the proliferative phase (intrauterine artery)"
        if step.kind in (StepKind.ULTRASOUND, StepKind.FOLLOW_UP):
            days, low = self.late_window(length), max(FIRST_PROLIFERATIVE_DAY, ovulation - 3)
            return days, f"the late proliferative phase, cycle day {low}-{ovulation}"
        if step.kind == StepKind.TRANSFER_WINDOW:
            days = luteal_window(length, self.luteal)
            return days, f"the luteal phase, after ovulation on cycle day {ovulation}"
        return None

    def _order_reasons(self, step: Step, day: int, index: int) -> list[str]:
        """What the step must wait for: the cells, the step before it, the due date."""
        reasons, name, bounds = [], sentence(label(step.key)), self.cycles.bounds
        if step.kind == StepKind.INFUSION:
            facts = self.course.facts
            released, allocated = facts.released_on, facts.lot_allocated_on
            if self.waits_for_dose():
                reasons.append("No donor-lot dose is allocated to this course yet.")
            elif day < self.cells_ready and allocated is not None:
                reasons.append(
                    f"The donor-lot dose allocated on {spoken(allocated)} is thawed and prepared "
                    f"by {spoken(self.cells_ready)}; no infusion before that."
                )
            elif day < self.cells_ready:
                ready = (
                    f"released on {spoken(released)}"
                    if released
                    else f"ready by {spoken(self.cells_ready)}"
                )
                reasons.append(f"The cells are {ready}; no infusion before that.")
            if self.expiry is not None and day > self.expiry:
                reasons.append(f"The {self.cells_name} expires on {spoken(self.expiry)}.")
            anchor = self.anchors.get(step.number or 0)
            if anchor is not None and index <= anchor:
                reasons.append(
                    f"{name} must wait for the cycle after the previous thickness ultrasound, "
                    f"from {spoken(bounds(anchor + 1)[0])}."
                )
        elif step.kind == StepKind.ULTRASOUND:
            after = self.cycle_of[f"infusion-{step.number}"] + 1
            if not after <= index <= max(after, self.cycle_of.get(step.key, after)):
                reasons.append(
                    f"{name} belongs in the cycle after the infusion, from "
                    f"{spoken(bounds(after)[0])}."
                )
        elif step.kind == StepKind.FOLLOW_UP:
            due = months_after(self.last_infusion, step.months or 0)
            if day < due:
                reasons.append(
                    f"{name} is due from {_day(due)}, {step.months} months after the last infusion."
                )
            first, last = self.transfer_days
            if first <= day <= last:
                reasons.append(
                    f"{name} cannot fall in the embryo-transfer window, {_day(first)} to "
                    f"{_day(last)}."
                )
        elif step.kind == StepKind.TRANSFER_WINDOW:
            first, last = step.window_start, step.window_end
            if first and last and not first <= _day(day) <= last:
                reasons.append(
                    f"{_day(day)} is outside the embryo-transfer window, {first} to {last}."
                )
        return reasons
