"""Course planning for endometrial stem-cell repair (DESIGN.md §2-§3): the clinical rules.

Pure Python (stdlib + dateutil): no Django, no clock, no I/O. ``plan`` turns a course's input and
the facts known so far into dated steps; ``replan`` does it again after new facts and reports
what moved; ``check_step_date`` tells a coordinator why a dragged appointment is not allowed.

Rules the issue left open, decided here:

* A visit (harvest, infusion, ultrasound, follow-up, suggested transfer day) is on an open day,
  on or after ``not_before``, at the open day nearest the preferred day inside its window
  (ties: the earlier). When the cycle the protocol asks for has no such day, the next cycle is
  used and a warning says so; after 13 cycles without one the plan is refused.
* Intrauterine-artery infusion: window CD ``artery_days[0]``-min(``artery_days[1]``, O); it is
  refused when ovulation falls before the preferred artery day (default: O < 10), so the
  seed's day-10 infusion is always proliferative. Never moved into another phase.
* Late-proliferative window: CD max(6, O-3)-O, so it never reaches into the menstrual days.
* A batch's expiry caps every infusion: a window day before the expiry is chosen if one exists,
  otherwise the plan is refused.
* Bone-marrow/adipose harvests and the expansion do not depend on the cycle: never tentative.
  Umbilical cord: ``Facts.harvested_on`` is read as the start of the donor lot's expansion.
* A harvest or expansion start implied by later facts but never recorded is left out (there is
  no real date to show); nothing is re-planned before a done infusion.
* Decision on the latest thickness on/after the last done infusion: responded (no more
  infusions), below threshold (one more infusion, at least up to the planned number), or
  non-responder at the maximum. Results before the first infusion are baseline, not decisions.
* Step windows (``window_start``/``window_end``) are the days a planned visit may take within
  its cycle after not-before, readiness and expiry are applied; done steps have none.
* A day the clinic chose for a step not yet done (``CourseInput.chosen_days``: booked,
  confirmed or moved by a coordinator) is where the step goes while it passes the checks
  ``check_step_date`` applies against the steps before it; later steps are planned from it.
  A chosen day that no longer fits is left out with a warning and the step is planned as if
  none had been chosen. Facts win: a done step ignores its chosen day. A chosen transfer day
  becomes the first suggested day, followed by the suggestions of later cycles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache, partial

from dateutil.relativedelta import relativedelta

from scheduling.timeline.cycles import (
    FIRST_PROLIFERATIVE_DAY,
    MAX_SEARCH_CYCLES,
    CycleCalendar,
    CycleEstimate,
    InvalidCourse,
    Phase,
    Window,
    artery_window,
    estimate_cycle,
    late_proliferative_window,
    luteal_window,
    phase_of_day,
    proliferative_window,
)
from scheduling.timeline.cycles import (
    DayInfo as DayInfo,
)
from scheduling.timeline.cycles import (
    describe_day as describe_day,
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_day = date.fromordinal
WindowRule = Callable[[int], Window | None]  # cycle length -> allowed cycle days


class Source(StrEnum):
    BONE_MARROW = "bone-marrow"
    ADIPOSE = "adipose"
    MENSTRUAL_BLOOD = "menstrual-blood"
    UMBILICAL_CORD = "umbilical-cord"


class Route(StrEnum):
    INTRAUTERINE = "intrauterine"
    INTRAUTERINE_ARTERY = "intrauterine-artery"


class StepKind(StrEnum):
    HARVEST = "harvest"
    EXPANSION = "expansion"
    INFUSION = "infusion"
    ULTRASOUND = "ultrasound"
    TRANSFER_WINDOW = "embryo-transfer-window"
    FOLLOW_UP = "follow-up"


class Outcome(StrEnum):
    PENDING = "pending"
    RESPONDED = "responded"
    NON_RESPONDER = "non-responder"


_RANK = {kind: rank for rank, kind in enumerate(StepKind)}
_KINDS = {"harvest": StepKind.HARVEST, "infusion": StepKind.INFUSION}
_KINDS |= {"ultrasound": StepKind.ULTRASOUND, "follow-up": StepKind.FOLLOW_UP}


class PlanRefused(Exception):
    """No plan satisfies the rules; ``str(error)`` is a sentence for the coordinator."""


@dataclass(frozen=True, slots=True)
class Protocol:
    """Protocol parameters (DESIGN §2 defaults), set per clinic and overridable per course.

    The transfer window spans cycles C+wait+1 and C+wait+2 after the last infusion's cycle C;
    ``artery_days`` is the intrauterine-artery window, cut at ovulation.
    """

    preferred_infusion_day: int = 10
    expansion_min_days: int = 14
    expansion_max_days: int = 21
    thickness_threshold_mm: float = 7.0
    max_infusions: int = 3
    transfer_wait_cycles: int = 2
    follow_up_months: tuple[int, ...] = (3, 6, 12)
    menstrual_harvest_days: tuple[int, int] = (1, 3)
    menstrual_harvest_preferred_day: int = 2
    artery_days: tuple[int, int] = (9, 11)


@dataclass(frozen=True, slots=True)
class Facts:
    """What has happened so far. ``thickness_results`` holds (date, mm) pairs."""

    harvested_on: date | None = None
    released_on: date | None = None
    expires_on: date | None = None
    infusions_done: tuple[date, ...] = ()
    thickness_results: tuple[tuple[date, float], ...] = ()


@dataclass(frozen=True, slots=True)
class CourseInput:
    """Everything a plan depends on: dates in, nothing read from a clock or a database."""

    source: Source
    route: Route
    planned_infusions: int
    not_before: date
    period_starts: tuple[date, ...]
    stated_cycle_length: int = 28
    luteal_length: int = 14
    open_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    closed_dates: frozenset[date] = frozenset()
    protocol: Protocol = field(default_factory=Protocol)
    facts: Facts = field(default_factory=Facts)
    # (step key, day) the clinic chose for steps not done yet. Not facts: the plan may reject
    # them, and ``replan`` rebuilds facts from the previous plan's done steps.
    chosen_days: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a course, keyed "harvest", "expansion", "infusion-1", "ultrasound-1",
    "transfer-window", "follow-up-3"...

    Visits have ``date`` and the cycle it falls in; ``window_start``/``window_end`` are the days
    a planned visit may move to. The expansion's ``date`` is its start. The transfer window has
    ``window_start``/``window_end`` and ``suggested`` transfer days instead of a date.
    ``tentative``: the date hangs on a predicted CD1, give or take ``uncertainty_days``.
    """

    key: str
    kind: StepKind
    date: date | None = None
    cycle_start: date | None = None
    cycle_day: int | None = None
    phase: Phase | None = None
    tentative: bool = False
    uncertainty_days: int = 0
    done: bool = False
    number: int | None = None
    months: int | None = None
    window_start: date | None = None
    window_end: date | None = None
    ready_from: date | None = None
    ready_by: date | None = None
    released_on: date | None = None
    expires_on: date | None = None
    suggested: tuple[date, ...] = ()
    thickness_mm: float | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A course's steps in date order, with sentences a coordinator should read."""

    cycle: CycleEstimate
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]
    outcome: Outcome = Outcome.PENDING

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"This course has no step {key!r}.")


@dataclass(frozen=True, slots=True)
class Change:
    """A step that moved; a None date means the step was added or dropped. For the transfer
    window the dates are its first day, and ``old_end``/``new_end`` its last."""

    key: str
    old_date: date | None
    new_date: date | None
    old_end: date | None = None
    new_end: date | None = None


@lru_cache(maxsize=16384)
def _months_after(day: int, months: int) -> int:
    return (_day(day) + relativedelta(months=+months)).toordinal()


_SOURCES, _ROUTES = frozenset(Source), frozenset(Route)


def _validate(course: CourseInput) -> None:
    p, f = course.protocol, course.facts
    if course.source not in _SOURCES:
        raise InvalidCourse(f"Unknown cell source {course.source!r}.")
    if course.route not in _ROUTES:
        raise InvalidCourse(f"Unknown infusion route {course.route!r}.")
    if not course.open_weekdays or not course.open_weekdays <= frozenset(range(7)):
        raise InvalidCourse("The clinic must be open on at least one weekday (0 Monday-6 Sunday).")
    if p.max_infusions < 1 or not 1 <= course.planned_infusions <= p.max_infusions:
        raise InvalidCourse(
            f"The number of planned infusions must be between 1 and {p.max_infusions} "
            f"(got {course.planned_infusions})."
        )
    if not 0 <= p.expansion_min_days <= p.expansion_max_days:
        raise InvalidCourse("The expansion must take a minimum of days no longer than its maximum.")
    if not 1 <= p.menstrual_harvest_days[0] <= p.menstrual_harvest_days[1] <= 5:
        raise InvalidCourse("Menstrual-blood collection days must lie within cycle days 1-5.")
    if not FIRST_PROLIFERATIVE_DAY <= p.artery_days[0] <= p.artery_days[1]:
        raise InvalidCourse("The intrauterine-artery days must lie in the proliferative phase.")
    if p.thickness_threshold_mm <= 0 or p.transfer_wait_cycles < 0 or p.preferred_infusion_day < 1:
        raise InvalidCourse("The protocol's threshold, wait and preferred day must be positive.")
    if any(m < 1 for m in p.follow_up_months):
        raise InvalidCourse("Follow-ups must be at least one month after the last infusion.")
    done = f.infusions_done
    if len(set(done)) != len(done):
        raise InvalidCourse("Two infusions are recorded on the same day.")
    if len(done) > p.max_infusions:
        raise InvalidCourse(
            f"{len(done)} infusions are recorded but the protocol allows at most {p.max_infusions}."
        )
    if any(mm <= 0 for _, mm in f.thickness_results):
        raise InvalidCourse("An endometrial thickness must be a positive number of millimetres.")
    first_use = min([*done, *([f.released_on] if f.released_on else [])], default=None)
    if f.harvested_on and first_use and first_use < f.harvested_on:
        raise InvalidCourse(
            f"The harvest is recorded on {f.harvested_on}, after the cells were used or "
            f"released on {first_use}."
        )
    months = p.follow_up_months
    if len(set(months)) != len(months):
        raise InvalidCourse("Each follow-up month may appear only once.")
    chosen_keys = [key for key, _ in course.chosen_days]
    if len(set(chosen_keys)) != len(chosen_keys):
        raise InvalidCourse("A step may have only one chosen day.")


def _label(key: str) -> str:
    """How a coordinator names a step, inside a sentence."""
    name, _, number = key.rpartition("-")
    if name == "infusion":
        return f"infusion {number}"
    if name == "ultrasound":
        return f"the ultrasound after infusion {number}"
    if name == "follow-up":
        return f"the {number}-month follow-up"
    return "the embryo-transfer window" if key == "transfer-window" else f"the {key}"


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


@lru_cache(maxsize=64)
def _key_fields(key: str) -> tuple[StepKind, int | None, int | None]:
    """What a step's key says: its kind, infusion number and follow-up months."""
    name, _, number = key.rpartition("-")  # "infusion-2", "follow-up-3", "harvest"
    return (
        _KINDS[name or number],
        int(number) if name in ("infusion", "ultrasound") else None,
        int(number) if name == "follow-up" else None,
    )


def _blank_step(key: str) -> Step:
    """A step with only what its key says, for checking a day chosen for it."""
    kind, number, months = _key_fields(key)
    return Step(key=key, kind=kind, number=number, months=months)


class _Planner:
    """One planning run: the course's context plus the steps placed so far."""

    def __init__(self, course: CourseInput) -> None:
        _validate(course)
        self.course, p = course, course.protocol
        self.estimate = estimate_cycle(
            course.period_starts,
            stated_length=course.stated_cycle_length,
            luteal=course.luteal_length,
        )
        self.cycles = CycleCalendar(self.estimate, course.open_weekdays, course.closed_dates)
        self.luteal = luteal = self.estimate.luteal
        self.late_window = partial(late_proliferative_window, luteal=luteal)
        if course.route == Route.INTRAUTERINE:
            preferred = p.preferred_infusion_day
            self.infusion_window = partial(proliferative_window, luteal=luteal, preferred=preferred)
        else:
            self.infusion_window = partial(
                artery_window, luteal=luteal, days=p.artery_days, preferred=p.preferred_infusion_day
            )
        low, high = p.menstrual_harvest_days
        self.menses = (low, high, min(max(p.menstrual_harvest_preferred_day, low), high))
        self.not_before = course.not_before.toordinal()
        expires_on = course.facts.expires_on
        self.expiry = None if expires_on is None else expires_on.toordinal()
        self.cells_ready = self.not_before  # first day the cells may be infused
        self.chosen = dict(course.chosen_days)
        self.warnings: list[str] = []
        self.items: list[tuple[int, int, int, Step]] = []  # (sort day, rank, sequence, step)
        self.cycle_of: dict[str, int] = {}  # visit key -> cycle index
        self.anchors: dict[int, int] = {}  # planned infusion -> cycle index it must follow
        self.outcome = Outcome.PENDING

    def menses_window(self, length: int) -> Window:
        return self.menses

    # -- placing visits ---------------------------------------------------------------------

    def _visit(
        self,
        key: str,
        window: WindowRule,
        index: int,
        *,
        low: int | None = None,
        high: int | None = None,
        required: bool = False,
    ) -> tuple[int, int]:
        """Place a visit from cycle ``index`` on; ``required``: the protocol asks for exactly
        that cycle, so a later one gets a warning."""
        low = self.not_before if low is None else low
        found = self.cycles.place(window, index, low, high)
        if isinstance(found, str):
            raise PlanRefused(self._refusal(key, found, window, index, low))
        day, at, first, last = found
        missed_cycle = required and at != index
        self.cycle_of[key] = at  # an ultrasound may go as late as the cycle found for it
        chosen = self._chosen_day(_blank_step(key), day) if key in self.chosen else None
        if chosen is not None:
            day, at = chosen, self.cycles.locate(chosen)[0]
            # the window of the chosen day's cycle: it holds that day, so place() finds it
            found = self.cycles.place(window, at, low, high)
            first, last = (day, day) if isinstance(found, str) else found[2:]
        if missed_cycle:
            self.warnings.append(
                f"{_sentence(_label(key))} could not be placed in the cycle starting "
                f"{_day(self.cycles.bounds(index)[0])} (no suitable open clinic day in its "
                f"window); it is planned on {_day(day)} instead."
            )
        self._add(key, day, at, window=(first, last))
        return day, at

    def _chosen_day(self, step: Step, planned: int | None) -> int | None:
        """The day the clinic chose for ``step`` when it differs from ``planned`` and passes
        the checks ``check_step_date`` applies; a chosen day that fails them gets a warning."""
        chosen = self.chosen.get(step.key)
        if chosen is None or chosen.toordinal() == planned:
            return None
        reasons = self.reasons(step, chosen)
        if not reasons:
            return chosen.toordinal()
        instead = "" if planned is None else f" It is planned on {_day(planned)} instead."
        self.warnings.append(
            f"{_sentence(_label(step.key))} was set for {chosen}, which no longer fits: "
            f"{' '.join(reasons)}{instead}"
        )
        return None

    def _refusal(self, key: str, reason: str, window: WindowRule, index: int, low: int) -> str:
        label = _label(key)
        if reason == "expired":
            found = self.cycles.place(window, index, low, None)
            later = "" if isinstance(found, str) else f": the first allowed day is {_day(found[0])}"
            return (
                f"{_sentence(label)} cannot be booked before the cell batch expires on "
                f"{_day(self.expiry or low)}{later}."
            )
        return (
            f"No open clinic day falls in the window for {label} in the {MAX_SEARCH_CYCLES} "
            f"cycles from {_day(max(low, self.cycles.bounds(index)[0]))}; check the clinic's "
            "opening days and closures."
        )

    def _add(
        self,
        key: str,
        day: int,
        index: int | None = None,
        *,
        done: bool = False,
        cycle_bound: bool = True,
        window: tuple[int, int] | None = None,
        mm: float | None = None,
    ) -> None:
        """Record a visit; ``cycle_bound=False`` for a date that does not follow the cycle."""
        cycles = self.cycles
        if index is None:
            index = cycles.locate(day)[0]
        start, length = cycles.bounds(index)
        cycle_day = day - start + 1
        uncertainty = 0 if done or not cycle_bound else cycles.uncertainty(index)
        kind, number, months = _key_fields(key)
        step = Step(
            key=key,
            kind=kind,
            number=number,
            months=months,
            date=_day(day),
            cycle_start=_day(start),
            cycle_day=cycle_day,
            phase=phase_of_day(cycle_day, length, self.luteal),
            tentative=uncertainty > 0,
            uncertainty_days=uncertainty,
            done=done,
            window_start=None if window is None else _day(window[0]),
            window_end=None if window is None else _day(window[1]),
            thickness_mm=mm,
        )
        self.items.append((day, _RANK[step.kind], len(self.items), step))
        self.cycle_of[key] = index

    # -- the course -------------------------------------------------------------------------

    def run(self) -> Plan:
        estimate = self.estimate
        ovulation = estimate.ovulation_day
        if ovulation < FIRST_PROLIFERATIVE_DAY:
            raise PlanRefused(
                f"With a {estimate.length}-day cycle and a {estimate.luteal}-day luteal phase, "
                f"ovulation is predicted on cycle day {ovulation}: there is no proliferative "
                "phase (from cycle day 6) to hold an infusion or a thickness ultrasound."
            )
        if estimate.irregular:
            self.warnings.append(
                f"Her recent cycles vary from {min(estimate.intervals)} to "
                f"{max(estimate.intervals)} days (irregular): every cycle-based date is "
                "tentative until she reports that cycle's first day of bleeding."
            )
        elif not estimate.intervals:
            self.warnings.append(
                f"Only one period start is known, so her stated cycle length of "
                f"{estimate.length} days is used; dates are tentative until she reports her "
                "next period."
            )
        self._plan_cells()
        last_day, last_index = self._plan_infusions()
        self._plan_transfer(last_index)
        self._plan_follow_ups(last_day)
        self.items.sort()
        return Plan(
            estimate, tuple(item[3] for item in self.items), tuple(self.warnings), self.outcome
        )

    def _plan_cells(self) -> None:
        course, facts, p = self.course, self.course.facts, self.course.protocol
        used = facts.released_on is not None or bool(facts.infusions_done)
        start = None
        if facts.harvested_on is not None:
            start = facts.harvested_on.toordinal()
            if course.source != Source.UMBILICAL_CORD:
                self._add("harvest", start, done=True)
        elif not used and course.source == Source.MENSTRUAL_BLOOD:
            index = self.cycles.locate(self.not_before)[0]
            start, _ = self._visit("harvest", self.menses_window, index)
        elif not used:
            start = self.cycles.nearest_open(
                self.not_before, self.not_before + 366, self.not_before
            )
            if start is None:
                raise PlanRefused("The clinic has no open day in the year from not-before.")
            if course.source != Source.UMBILICAL_CORD:
                if "harvest" in self.chosen:
                    start = self._chosen_day(_blank_step("harvest"), start) or start
                self._add("harvest", start, cycle_bound=False)
        released = facts.released_on
        if released is not None:
            self.cells_ready = released.toordinal()
        elif start is not None:
            self.cells_ready = start + p.expansion_max_days
        else:  # the cells were infused already, their release never recorded
            self.cells_ready = max(day.toordinal() for day in facts.infusions_done)
        if start is None and released is None:
            return
        step = Step(
            key="expansion",
            kind=StepKind.EXPANSION,
            date=None if start is None else _day(start),
            done=used,
            ready_from=None if start is None else _day(start + p.expansion_min_days),
            ready_by=None if start is None else _day(start + p.expansion_max_days),
            released_on=released,
            expires_on=facts.expires_on,
        )
        sort_day = self.cells_ready if start is None else start
        self.items.append((sort_day, _RANK[StepKind.EXPANSION], len(self.items), step))

    def _plan_infusions(self) -> tuple[int, int]:
        """Done and planned infusions with their ultrasounds; the last infusion's (day, cycle)."""
        course, cycles = self.course, self.cycles
        done = sorted(day.toordinal() for day in course.facts.infusions_done)
        results = sorted((day.toordinal(), mm) for day, mm in course.facts.thickness_results)
        last = anchor = 0
        for number, day in enumerate(done, 1):
            last = cycles.locate(day)[0]
            self._add(f"infusion-{number}", day, last, done=True)
            until = done[number] if number < len(done) else None
            result = next((r for r in results if day <= r[0] and (not until or r[0] < until)), None)
            if result is not None:
                self._add(f"ultrasound-{number}", result[0], done=True, mm=result[1])
            elif until is not None:
                self.warnings.append(
                    f"No thickness result is recorded after infusion {number} on {_day(day)}."
                )
        total = max(course.planned_infusions, len(done))
        latest = next((r for r in reversed(results) if r[0] >= done[-1]), None) if done else None
        if latest is not None:
            anchor = cycles.locate(latest[0])[0]
            total = self._decide(len(done), latest)
        elif done:
            _, anchor = self._visit(
                f"ultrasound-{len(done)}", self.late_window, last + 1, required=True
            )
        if total > len(done) and self.infusion_window(self.estimate.length) is None:
            low, high = course.protocol.artery_days
            raise PlanRefused(
                f"This patient's ovulation is predicted on cycle day "
                f"{self.estimate.ovulation_day}; an intrauterine-artery infusion needs cycle day "
                f"{low}-{high} in the proliferative phase, so it cannot be placed in her cycles."
            )
        last_day = done[-1] if done else 0
        low = max(self.cells_ready, self.not_before)
        for number in range(len(done) + 1, total + 1):
            if number > 1:
                self.anchors[number] = anchor
            last_day, last = self._visit(
                f"infusion-{number}",
                self.infusion_window,
                cycles.locate(low)[0] if number == 1 else anchor + 1,
                low=low,
                high=self.expiry,
                required=number > 1,
            )
            _, anchor = self._visit(
                f"ultrasound-{number}", self.late_window, last + 1, required=True
            )
        return last_day, last

    def _decide(self, done: int, latest: tuple[int, float]) -> int:
        """How many infusions the course holds after the latest thickness."""
        p = self.course.protocol
        threshold = p.thickness_threshold_mm
        seen = f"Thickness {latest[1]:g} mm on {_day(latest[0])}"
        if latest[1] >= threshold:
            self.outcome = Outcome.RESPONDED
            if self.course.planned_infusions > done:
                self.warnings.append(
                    f"{seen} reaches the {threshold:g} mm threshold: the patient responded, so "
                    "no further infusion is planned."
                )
            return done
        if done < p.max_infusions:
            self.warnings.append(
                f"{seen} is below the {threshold:g} mm threshold: infusion {done + 1} is "
                "planned in the next cycle."
            )
            return max(self.course.planned_infusions, done + 1)
        self.outcome = Outcome.NON_RESPONDER
        self.warnings.append(
            f"{seen} is still below the {threshold:g} mm threshold after {done} infusions: the "
            "course ends as non-responder. The embryo-transfer window and follow-ups are still "
            "planned."
        )
        return done

    def _plan_transfer(self, last_index: int) -> None:
        cycles = self.cycles
        first = last_index + self.course.protocol.transfer_wait_cycles + 1
        suggested: list[tuple[int, date]] = []  # (cycle index, day)
        for index in (first, first + 1):
            start, length = cycles.bounds(index)
            low, high, preferred = luteal_window(length, self.luteal)
            low, high = max(start + low - 1, self.not_before), start + high - 1
            if low <= high:
                day = self.cycles.nearest_open(
                    low, high, min(max(start + preferred - 1, low), high)
                )
                if day is not None:
                    suggested.append((index, _day(day)))
        window_start = cycles.bounds(first)[0]
        second_start, second_length = cycles.bounds(first + 1)
        uncertainty = cycles.uncertainty(first + 1)
        step = Step(
            key="transfer-window",
            kind=StepKind.TRANSFER_WINDOW,
            tentative=uncertainty > 0,
            uncertainty_days=uncertainty,
            window_start=_day(window_start),
            window_end=_day(second_start + second_length - 1),
            suggested=tuple(day for _, day in suggested),
        )
        planned = step.suggested[0].toordinal() if step.suggested else None
        chosen = self._chosen_day(step, planned)
        if chosen is not None:
            # the clinic's day first, then the suggestions of the cycles after its cycle
            at = cycles.locate(chosen)[0]
            later = tuple(day for index, day in suggested if index > at)
            step = dataclasses.replace(step, suggested=(_day(chosen), *later))
        self.items.append((window_start, _RANK[StepKind.TRANSFER_WINDOW], len(self.items), step))

    def _plan_follow_ups(self, last_infusion: int) -> None:
        for months in self.course.protocol.follow_up_months:
            due = _months_after(last_infusion, months)
            index, start, length = self.cycles.locate(due)
            window = self.late_window(length)
            if window is None or start + window[2] - 1 < due:
                index += 1
            self._visit(f"follow-up-{months}", self.late_window, index)

    # -- checking a proposed date (the calendar's drag and drop) ------------------------------

    def reasons(self, step: Step, proposed: date) -> list[str]:
        day = proposed.toordinal()
        index, start, length = self.cycles.locate(day)
        cycle_day = day - start + 1
        phase = phase_of_day(cycle_day, length, self.luteal)
        predicted = ", predicted" if self.cycles.uncertainty(index) else ""
        where = f"{proposed} is cycle day {cycle_day} ({phase} phase{predicted})"
        reasons = []
        if day < self.not_before and step.kind != StepKind.TRANSFER_WINDOW:
            reasons.append(
                f"{proposed} is before this course's first visit date, {_day(self.not_before)}."
            )
        if not self.cycles.open_days[(day + 6) % 7]:
            reasons.append(f"The clinic is closed on {_WEEKDAYS[(day + 6) % 7]}s.")
        elif day in self.cycles.closed:
            reasons.append(f"The clinic is closed on {proposed}.")
        rule = self._rule(step, length)
        if rule is not None:
            days, need = rule
            if days is None or not days[0] <= cycle_day <= days[1]:
                reasons.append(f"{_sentence(_label(step.key))} needs {need}; {where}.")
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
        reasons, label, bounds = [], _sentence(_label(step.key)), self.cycles.bounds
        if step.kind == StepKind.INFUSION:
            released = self.course.facts.released_on
            if day < self.cells_ready:
                ready = (
                    f"released on {released}" if released else f"ready by {_day(self.cells_ready)}"
                )
                reasons.append(f"The cells are {ready}; no infusion before that.")
            if self.expiry is not None and day > self.expiry:
                reasons.append(f"The cell batch expires on {_day(self.expiry)}.")
            anchor = self.anchors.get(step.number or 0)
            if anchor is not None and index <= anchor:
                reasons.append(
                    f"{label} must wait for the cycle after the previous thickness ultrasound, "
                    f"from {_day(bounds(anchor + 1)[0])}."
                )
        elif step.kind == StepKind.ULTRASOUND:
            after = self.cycle_of[f"infusion-{step.number}"] + 1
            if not after <= index <= max(after, self.cycle_of[step.key]):
                reasons.append(
                    f"{label} belongs in the cycle after the infusion, from "
                    f"{_day(bounds(after)[0])}."
                )
        elif step.kind == StepKind.FOLLOW_UP:
            last = max(item[0] for item in self.items if item[3].kind == StepKind.INFUSION)
            due = _months_after(last, step.months or 0)
            if index < self.cycles.locate(due)[0]:
                reasons.append(
                    f"{label} is due from {_day(due)}, {step.months} months after the last "
                    "infusion."
                )
        elif step.kind == StepKind.TRANSFER_WINDOW:
            first, last = step.window_start, step.window_end
            if first and last and not first <= _day(day) <= last:
                reasons.append(
                    f"{_day(day)} is outside the embryo-transfer window, {first} to {last}."
                )
        return reasons


def plan(course: CourseInput) -> Plan:
    """Plan a course from its input and the facts known so far.

    Raises ``InvalidCourse`` for bad input and ``PlanRefused`` when no plan fits the rules.
    """
    return _Planner(course).run()


def check_step_date(course: CourseInput, key: str, proposed: date) -> list[str]:
    """Why step ``key`` may not move to ``proposed`` (an empty list: it may).

    Checks the step against the rules and the steps before it; later steps are re-planned
    after the move. The step's own chosen day is left out (the question is whether it may
    move); the other steps' chosen days hold. Raises ``KeyError`` for a key the plan does not
    have.
    """
    others = tuple(pair for pair in course.chosen_days if pair[0] != key)
    if others != course.chosen_days:
        course = dataclasses.replace(course, chosen_days=others)
    planner = _Planner(course)
    step = planner.run().step(key)
    if step.done:
        return [f"{_sentence(_label(key))} was done on {step.date}; a done step cannot move."]
    if step.kind == StepKind.EXPANSION:
        return ["The expansion runs in the lab from the harvest; move the harvest instead."]
    return planner.reasons(step, proposed)


def replan(previous: Plan, course: CourseInput) -> tuple[Plan, tuple[Change, ...]]:
    """Plan again from the course's current facts; done steps of ``previous`` never move.

    The done steps of ``previous`` are facts too: any the new facts leave out are added back,
    and new facts that contradict one raise ``InvalidCourse``. Returns the new plan and the
    steps whose dates changed, were added or were dropped, in the new plan's order.
    """
    facts = _merge_done(previous, course.facts)
    if facts != course.facts:
        course = dataclasses.replace(course, facts=facts)
    current = plan(course)
    return current, _changes(previous, current)


def _same(what: str, new: date | None, old: date | None) -> date | None:
    if new is None or old is None or new == old:
        return old if new is None else new
    raise InvalidCourse(f"{what} was recorded on {old}; the new facts say {new}.")


def _merge_done(previous: Plan, facts: Facts) -> Facts:
    harvested, released = facts.harvested_on, facts.released_on
    results = list(facts.thickness_results)
    measured = dict(results)
    done_infusions = []
    for step in previous.steps:
        if not step.done:
            continue
        if step.kind in (StepKind.HARVEST, StepKind.EXPANSION):
            # a done expansion has a start only when the harvest (or lot start) was recorded
            harvested = _same("The harvest", harvested, step.date)
            released = _same("The batch release", released, step.released_on)
        elif step.kind == StepKind.INFUSION and step.date is not None:
            done_infusions.append(step.date)
        elif step.kind == StepKind.ULTRASOUND and step.date is not None:
            mm = measured.get(step.date)
            if mm is None and step.thickness_mm is not None:
                results.append((step.date, step.thickness_mm))
            elif mm != step.thickness_mm:
                raise InvalidCourse(
                    f"The thickness on {step.date} was recorded as {step.thickness_mm:g} mm; "
                    f"the new facts say {mm:g} mm."
                )
    infusions = sorted(facts.infusions_done)
    for number, (old, new) in enumerate(zip(done_infusions, infusions, strict=False), 1):
        _same(f"Infusion {number}", new, old)
    infusions += done_infusions[len(infusions) :]
    return Facts(harvested, released, facts.expires_on, tuple(infusions), tuple(results))


def _span(step: Step) -> tuple[date | None, date | None]:
    if step.kind == StepKind.TRANSFER_WINDOW:
        return step.window_start, step.window_end
    return step.date, None


def _changes(previous: Plan, current: Plan) -> tuple[Change, ...]:
    before = {step.key: _span(step) for step in previous.steps}
    changes = []
    for step in current.steps:
        old = before.pop(step.key, (None, None))
        new = _span(step)
        if old != new:
            changes.append(Change(step.key, old[0], new[0], old[1], new[1]))
    changes += [Change(key, old[0], None, old[1], None) for key, old in before.items()]
    return tuple(changes)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def plan_to_dict(plan: Plan) -> dict:
    """The plan as JSON-ready data (the ``plan_course --format json`` contract)."""
    cycle = plan.cycle
    return {
        "cycle_length": cycle.length,
        "luteal_length": cycle.luteal,
        "ovulation_day": cycle.ovulation_day,
        "irregular": cycle.irregular,
        "uncertainty_days": cycle.uncertainty_days,
        "outcome": str(plan.outcome),
        "steps": [_step_to_dict(step) for step in plan.steps],
        "warnings": list(plan.warnings),
    }


def _step_to_dict(step: Step) -> dict:
    data: dict = {"key": step.key, "kind": str(step.kind), "done": step.done}
    if step.kind == StepKind.EXPANSION:
        data["start"] = _iso(step.date)
        data["ready_from"] = _iso(step.ready_from)
        data["ready_by"] = _iso(step.ready_by)
        data["released_on"] = _iso(step.released_on)
        data["expires_on"] = _iso(step.expires_on)
        return data
    data["tentative"] = step.tentative
    data["uncertainty_days"] = step.uncertainty_days
    if step.kind == StepKind.TRANSFER_WINDOW:
        data["start"] = _iso(step.window_start)
        data["end"] = _iso(step.window_end)
        data["suggested"] = [day.isoformat() for day in step.suggested]
        return data
    data["date"] = _iso(step.date)
    data["cycle_start"] = _iso(step.cycle_start)
    data["cycle_day"] = step.cycle_day
    data["phase"] = str(step.phase)
    data["window_start"] = _iso(step.window_start)
    data["window_end"] = _iso(step.window_end)
    if step.number is not None:
        data["number"] = step.number
    if step.months is not None:
        data["months"] = step.months
    if step.thickness_mm is not None:
        data["thickness_mm"] = step.thickness_mm
    return data
