"""Cycle arithmetic for course planning (DESIGN.md §3): phases, windows, open visit days.

Pure Python, no Django, no clock: dates in, answers out. ``history`` estimates a
``CycleEstimate`` from the reported period starts; ``scheduling.timeline`` builds course plans
on top of both and re-exports the public names, so callers import from there.

Conventions:

* Cycle day 1 (CD1) is the first day of bleeding. Reported CD1s delimit known cycles; after the
  last one, cycles are predicted every ``length`` days (before the first, counted backwards).
* A known cycle that has ended (the next CD1 is reported too) keeps its real length, so its
  ovulation day is counted back from the period that really followed, as DESIGN §3 says O is.
* O = length - luteal. Phases: menstrual CD1-5; proliferative CD6-O, whose last days
  CD max(6, O-3)-O are reported as late-proliferative; luteal CD O+1 to the cycle's last day.
* A visit goes on the open clinic day nearest its preferred cycle day within its window
  (ties: the earlier); the lab's expansion runs on calendar days.
* Internally a day is an ordinal (``date.toordinal()``): integer arithmetic keeps planning fast
  and makes time zones irrelevant. Cycles are indexed relative to the last reported CD1:
  0 is that cycle, 1, 2, ... the predicted ones after it, negative indices the earlier ones.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MIN_CYCLE_LENGTH, MAX_CYCLE_LENGTH = 15, 90
MIN_LUTEAL, MAX_LUTEAL = 10, 16
FIRST_PROLIFERATIVE_DAY = 6
MAX_SEARCH_CYCLES = 13  # a visit that finds no open day in a year of cycles is refused


class InvalidCourse(ValueError):
    """The input itself is wrong (out-of-range parameter, contradictory facts)."""


class Phase(StrEnum):
    MENSTRUAL = "menstrual"
    PROLIFERATIVE = "proliferative"
    LATE_PROLIFERATIVE = "late-proliferative"
    LUTEAL = "luteal"


def phase_of_day(cycle_day: int, length: int, luteal: int) -> Phase:
    """The phase of a cycle day in a cycle of ``length`` days."""
    if cycle_day <= 5:
        return Phase.MENSTRUAL
    ovulation = length - luteal
    if cycle_day > ovulation:
        return Phase.LUTEAL
    if cycle_day >= ovulation - 3:
        return Phase.LATE_PROLIFERATIVE
    return Phase.PROLIFERATIVE


@dataclass(frozen=True, slots=True)
class CycleEstimate:
    """A patient's cycle pattern, estimated from the CD1s she reported.

    ``starts``: the reported CD1s the estimate kept (near-duplicates left out); ``inferred``:
    CD1s it assumed inside intervals read as missed reports (predicted, never reported).
    ``intervals``: the recent cycle lengths it used, split ones included. ``estimated``: the
    length was only stated, or intervals were split or reported starts ignored; ``warnings``
    say which. ``uncertainty_days`` is the ± on the start of the first predicted cycle; see
    ``estimate_cycle`` for how it grows for cycles further ahead.
    """

    length: int
    luteal: int
    irregular: bool
    uncertainty_days: int
    starts: tuple[date, ...]
    intervals: tuple[int, ...] = ()
    estimated: bool = False
    warnings: tuple[str, ...] = ()
    inferred: tuple[date, ...] = ()

    @property
    def ovulation_day(self) -> int:
        return self.length - self.luteal

    @property
    def firm_current_cycle(self) -> bool:
        """Whether the cycle from the last reported CD1 is firm past its menstrual days: only
        for a regular, measured pattern (else its ovulation is counted back from a guess)."""
        return not (self.irregular or self.estimated)

    def phase_of(self, cycle_day: int, length: int | None = None) -> Phase:
        return phase_of_day(cycle_day, self.length if length is None else length, self.luteal)


# Windows: the (first, last, preferred) cycle days a visit may take in a cycle of ``length``
# days, or None when the cycle has no such days.
Window = tuple[int, int, int]


def proliferative_window(length: int, luteal: int, preferred: int) -> Window | None:
    """Intrauterine infusion: CD6-O, preferred day clamped into it."""
    ovulation = length - luteal
    if ovulation < FIRST_PROLIFERATIVE_DAY:
        return None
    return (
        FIRST_PROLIFERATIVE_DAY,
        ovulation,
        min(max(preferred, FIRST_PROLIFERATIVE_DAY), ovulation),
    )


def artery_window(length: int, luteal: int, days: tuple[int, int], preferred: int) -> Window | None:
    """Intrauterine-artery infusion: ``days`` cut at O; none when ovulation comes before the
    preferred artery day (default: O < 10), so it is never moved into another phase."""
    ovulation = length - luteal
    preferred = min(max(preferred, days[0]), days[1])
    if ovulation < preferred:
        return None
    return days[0], min(days[1], ovulation), preferred


def late_proliferative_window(length: int, luteal: int) -> Window | None:
    """Thickness ultrasound: CD max(6, O-3)-O, preferred CD O-2."""
    ovulation = length - luteal
    if ovulation < FIRST_PROLIFERATIVE_DAY:
        return None
    low = max(FIRST_PROLIFERATIVE_DAY, ovulation - 3)
    return low, ovulation, max(ovulation - 2, low)


def luteal_window(length: int, luteal: int, after_ovulation: int = 5) -> Window:
    """Natural-cycle embryo transfer: CD O+1 to the last day, preferred O+5 (about LH+6)."""
    ovulation = length - luteal
    return ovulation + 1, length, min(ovulation + after_ovulation, length)


class Cycles:
    """Ordinal-day arithmetic over one patient's known and predicted cycles.

    Known cycles run between the kept reported CD1s and the inferred ones (missed reports);
    a cycle that starts on an inferred CD1 is predicted all the same.
    """

    __slots__ = (
        "_base",
        "_count",
        "_firm_current",
        "_first",
        "_inferred",
        "_last",
        "_starts",
        "length",
        "luteal",
    )

    def __init__(self, estimate: CycleEstimate) -> None:
        self._starts = [d.toordinal() for d in estimate.starts]
        self._inferred: frozenset[int] = frozenset()
        if estimate.inferred:
            self._inferred = frozenset(d.toordinal() for d in estimate.inferred)
            self._starts = sorted({*self._starts, *self._inferred})
        self._count = len(self._starts)
        self._first = self._starts[0]
        self._last = self._starts[-1]
        self._base = estimate.uncertainty_days
        self._firm_current = not (estimate.irregular or estimate.estimated)
        self.length = estimate.length
        self.luteal = estimate.luteal

    def locate(self, day: int) -> tuple[int, int, int]:
        """(cycle index, start ordinal, length) of the cycle holding ordinal ``day``."""
        length = self.length
        if day >= self._last:
            index = (day - self._last) // length
            return index, self._last + index * length, length
        if day >= self._first:
            starts = self._starts
            i = bisect_right(starts, day) - 1
            return i - self._count + 1, starts[i], starts[i + 1] - starts[i]
        back = (self._first - day + length - 1) // length
        return 1 - self._count - back, self._first - back * length, length

    def bounds(self, index: int) -> tuple[int, int]:
        """(start ordinal, length) of cycle ``index``."""
        if index >= 0:
            return self._last + index * self.length, self.length
        i = index + self._count - 1
        if i >= 0:
            starts = self._starts
            return starts[i], starts[i + 1] - starts[i]
        return self._first + i * self.length, self.length

    def uncertainty(self, index: int, cycle_day: int = 1) -> int:
        """± days on cycle day ``cycle_day`` of cycle ``index``: 0 on a reported cycle.

        The cycle from the last reported CD1 is firm through its menstrual days; past them it
        is firm only for a regular, measured pattern: otherwise its ovulation is counted back
        from a guessed next period, as uncertain as that next period's start.
        """
        if index > 0:
            return math.ceil(self._base * math.sqrt(index))
        if index == 0:
            firm = self._firm_current or cycle_day < FIRST_PROLIFERATIVE_DAY
            return 0 if firm else self._base
        i = index + self._count - 1
        if i >= 0:
            return self._base if self._starts[i] in self._inferred else 0
        return math.ceil(self._base * math.sqrt(-i))


@dataclass(frozen=True, slots=True)
class DayInfo:
    cycle_start: date
    cycle_day: int
    phase: Phase
    tentative: bool
    uncertainty_days: int


def describe_day(cycle: CycleEstimate, day: date) -> DayInfo:
    """Where ``day`` falls in the patient's cycles (tentative when its cycle is predicted, or
    past the menstrual days of the current cycle of an irregular or estimated pattern)."""
    cycles = Cycles(cycle)
    index, start, length = cycles.locate(day.toordinal())
    cycle_day = day.toordinal() - start + 1
    uncertainty = cycles.uncertainty(index, cycle_day)
    return DayInfo(
        cycle_start=date.fromordinal(start),
        cycle_day=cycle_day,
        phase=phase_of_day(cycle_day, length, cycle.luteal),
        tentative=uncertainty > 0,
        uncertainty_days=uncertainty,
    )


class CycleCalendar(Cycles):
    """The patient's cycles plus the clinic's open days: where in which cycle a visit can go."""

    __slots__ = ("closed", "open_days")

    def __init__(
        self, estimate: CycleEstimate, open_weekdays: Iterable[int], closed: Iterable[date]
    ) -> None:
        super().__init__(estimate)
        weekdays = frozenset(open_weekdays)
        self.open_days = tuple(weekday in weekdays for weekday in range(7))  # Monday first
        self.closed = {day.toordinal() for day in closed}

    def nearest_open(self, first: int, last: int, preferred: int) -> int | None:
        """The open day in [first, last] nearest ``preferred`` (ties: the earlier)."""
        open_days, closed = self.open_days, self.closed  # ordinal 1 is a Monday
        for offset in range(max(preferred - first, last - preferred) + 1):
            day = preferred - offset
            if day >= first and open_days[(day + 6) % 7] and day not in closed:
                return day
            day = preferred + offset
            if offset and day <= last and open_days[(day + 6) % 7] and day not in closed:
                return day
        return None

    def place(
        self, window: Callable[[int], Window | None], index: int, low: int, high: int | None
    ) -> tuple[int, int, int, int] | str:
        """Find (day, cycle index, first, last allowed day) in the first cycle from ``index``
        with an open window day in [low, high]. Fails with "expired" once the windows start
        after ``high``, or "closed" after ``MAX_SEARCH_CYCLES`` cycles."""
        index = max(index, self.locate(low)[0])
        for candidate in range(index, index + MAX_SEARCH_CYCLES):
            start, length = self.bounds(candidate)
            days = window(length)
            if days is None:
                continue
            first, last = start + days[0] - 1, start + days[1] - 1
            if high is not None:
                if first > high:
                    return "expired"
                last = min(last, high)
            first = max(first, low)
            if first > last:
                continue
            day = self.nearest_open(first, last, min(max(start + days[2] - 1, first), last))
            if day is not None:
                return day, candidate, first, last
        return "closed"
