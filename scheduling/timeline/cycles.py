"""Cycle arithmetic for course planning (DESIGN.md §3): estimation, phases, open visit days.

Pure Python, no Django, no clock: dates in, answers out. ``scheduling.timeline`` builds course
plans on top of it and re-exports the public names, so callers import from there.

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

import itertools
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MIN_CYCLE_LENGTH, MAX_CYCLE_LENGTH = 15, 90
MIN_LUTEAL, MAX_LUTEAL = 10, 16
FIRST_PROLIFERATIVE_DAY = 6
RECENT_INTERVALS = 6
MAX_SEARCH_CYCLES = 13  # a visit that finds no open day in a year of cycles is refused
IRREGULAR_SPREAD_DAYS = 7
# Floor of the uncertainty of a predicted cycle start. Most regular cycles vary by a couple of
# days from one cycle to the next; a length the patient only stated was never measured here.
REGULAR_UNCERTAINTY_DAYS = 2
STATED_UNCERTAINTY_DAYS = 3
DEFAULT_MIN_PERIOD_GAP = 10  # days: closer period starts are near-duplicates
DEFAULT_MISSED_TOLERANCE = 4  # days from 2 or 3 typical cycles: read as missed reports


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


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _short(day: date, *, year: bool) -> str:
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def _between(first: date, second: date) -> str:
    year = first.year != second.year
    return f"between {_short(first, year=year)} and {_short(second, year=year)}"


def period_start_conflict(
    existing: Iterable[date], new: date, min_gap_days: int = DEFAULT_MIN_PERIOD_GAP
) -> str | None:
    """A sentence naming both dates when ``new`` is within ``min_gap_days`` of a reported
    CD1 in ``existing``, else None. The same date again is no conflict: it is already known."""
    known = set(existing)
    if new in known:
        return None
    near = [day for day in known if abs((day - new).days) < min_gap_days]
    if not near:
        return None
    other = min(near, key=lambda day: (abs((day - new).days), day))
    gap = abs((other - new).days)
    where = "after" if new > other else "before"
    return (
        f"The period start on {new.isoformat()} is only {gap} day{'s' * (gap != 1)} {where} "
        f"the one reported on {other.isoformat()}; period starts are at least {min_gap_days} "
        "days apart, so check which date is right."
    )


def _median(values: list[int]) -> int:
    """The median; with an even count the mean of the two middle ones rounded down (a shorter
    estimate puts ovulation earlier, so an infusion planned before it stays proliferative)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) // 2


def _missed(interval: int, typical: int, tolerance: int) -> int:
    """2 or 3 when ``interval`` reads as that many cycles of ``typical`` days, else 1."""
    for cycles in (2, 3):
        if abs(interval - cycles * typical) <= tolerance:
            return cycles
    return 1


def estimate_cycle(
    period_starts: Iterable[date],
    *,
    stated_length: int = 28,
    luteal: int = 14,
    min_gap_days: int = DEFAULT_MIN_PERIOD_GAP,
    missed_tolerance_days: int = DEFAULT_MISSED_TOLERANCE,
) -> CycleEstimate:
    """Estimate the cycle from reported CD1s (any order, exact duplicates ignored).

    1. A CD1 less than ``min_gap_days`` after the previous kept one is ignored, with a
       warning (the earlier is kept): a near-duplicate must never wedge planning.
    2. Of the last (up to) six intervals, one within ``missed_tolerance_days`` of 2 or 3
       typical lengths is read as missed reports and split into equal cycles (inferred starts,
       a warning). Typical: the median of the other intervals that are not themselves about
       twice or three times another one, or ``stated_length`` when there are none.
    3. Length: the median of the last (up to) six intervals after splitting; with fewer than
       two CD1s, ``stated_length``.

    Irregular: the recent intervals differ by more than 7 days (max - min > 7).

    Uncertainty of a predicted cycle start, ``k`` cycles after the last reported CD1:
    ``ceil(u * sqrt(k))`` days, with ``u`` = max(2, max - min of the recent intervals), or 3 when
    the length is only stated. The spread is what the patient's own cycles showed; the square
    root is how independent cycle-to-cycle deviations add up over ``k`` cycles.
    """
    reported = sorted(set(period_starts))
    if not reported:
        raise InvalidCourse("At least one reported period start (cycle day 1) is needed.")
    if not MIN_CYCLE_LENGTH <= stated_length <= MAX_CYCLE_LENGTH:
        raise InvalidCourse(
            f"The cycle length must be between {MIN_CYCLE_LENGTH} and {MAX_CYCLE_LENGTH} days "
            f"(got {stated_length})."
        )
    if not MIN_LUTEAL <= luteal <= MAX_LUTEAL:
        raise InvalidCourse(
            f"The luteal phase must last {MIN_LUTEAL} to {MAX_LUTEAL} days (got {luteal})."
        )
    warnings: list[str] = []
    ordinals = [day.toordinal() for day in reported]
    gaps = [b - a for a, b in itertools.pairwise(ordinals)]
    kept = reported
    if gaps and min(gaps) < min_gap_days:
        kept, ordinals = _drop_near_duplicates(reported, min_gap_days, warnings)
        gaps = [b - a for a, b in itertools.pairwise(ordinals)]
    starts = tuple(kept)
    raw = gaps[-RECENT_INTERVALS:]
    if not raw:
        return CycleEstimate(
            stated_length,
            luteal,
            False,
            STATED_UNCERTAINTY_DAYS,
            starts,
            estimated=True,
            warnings=tuple(warnings),
        )
    shortest, longest = min(raw), max(raw)
    inferred: tuple[date, ...] = ()
    if len(raw) == 1 or longest >= 2 * shortest - missed_tolerance_days:
        # some interval may be two or three cycles: the usual history skips this
        tail = ordinals[-(RECENT_INTERVALS + 1) :]
        split, inferred = _split_missed(tail, stated_length, missed_tolerance_days, warnings)
        raw = split[-RECENT_INTERVALS:]
        shortest, longest = min(raw), max(raw)
    ordered = sorted(raw)
    middle = len(ordered) // 2
    length = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) // 2
    if not MIN_CYCLE_LENGTH <= length <= MAX_CYCLE_LENGTH:
        raise InvalidCourse(
            f"The reported period starts give a typical cycle of {length} days; a cycle length "
            f"must be between {MIN_CYCLE_LENGTH} and {MAX_CYCLE_LENGTH} days."
        )
    spread = longest - shortest
    return CycleEstimate(
        length=length,
        luteal=luteal,
        irregular=spread > IRREGULAR_SPREAD_DAYS,
        uncertainty_days=max(REGULAR_UNCERTAINTY_DAYS, spread),
        starts=starts,
        intervals=tuple(raw),
        estimated=bool(inferred) or len(kept) < len(reported),
        warnings=tuple(warnings),
        inferred=inferred,
    )


def _drop_near_duplicates(
    reported: list[date], min_gap_days: int, warnings: list[str]
) -> tuple[list[date], list[int]]:
    """The CD1s at least ``min_gap_days`` after the previous kept one (and their ordinals);
    a warning for each one ignored."""
    kept, ordinals = [reported[0]], [reported[0].toordinal()]
    for day in reported[1:]:
        gap = day.toordinal() - ordinals[-1]
        if gap < min_gap_days:
            warnings.append(
                f"The period start on {day.isoformat()} is only {gap} day{'s' * (gap != 1)} "
                f"after the one on {kept[-1].isoformat()}: ignored (period starts are at "
                f"least {min_gap_days} days apart); check which date is right."
            )
        else:
            kept.append(day)
            ordinals.append(day.toordinal())
    return kept, ordinals


def _split_missed(
    tail: list[int], stated_length: int, tolerance: int, warnings: list[str]
) -> tuple[list[int], tuple[date, ...]]:
    """The intervals between the CD1 ordinals ``tail``, each one that reads as 2 or 3 typical
    cycles split into equal ones; the inferred CD1s; a warning for each split."""
    raw = [b - a for a, b in itertools.pairwise(tail)]
    plain = [
        x
        for i, x in enumerate(raw)
        if not any(_missed(x, y, tolerance) > 1 for j, y in enumerate(raw) if j != i)
    ]
    typical = _median(plain) if len(raw) > 1 and plain else stated_length
    intervals: list[int] = []
    inferred: list[date] = []
    for start, interval in zip(tail, raw, strict=False):
        count = _missed(interval, typical, tolerance)
        if count == 1 or interval // count < MIN_CYCLE_LENGTH:
            intervals.append(interval)  # never split into cycles no one could have
            continue
        cuts = [start + round(interval * k / count) for k in range(count + 1)]
        intervals += [b - a for a, b in itertools.pairwise(cuts)]
        inferred += [date.fromordinal(cut) for cut in cuts[1:-1]]
        each = f"{interval // count}" if interval % count == 0 else f"about {interval // count}"
        warnings.append(
            f"The {interval} days {_between(date.fromordinal(start), date.fromordinal(cuts[-1]))}"
            f" look like a missed period report: counted as {count} cycles of {each} days."
        )
    return intervals, tuple(inferred)


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
        self._inferred = frozenset(d.toordinal() for d in estimate.inferred)
        if self._inferred:
            self._starts = sorted({*self._starts, *self._inferred})
        self._count = len(self._starts)
        self._first = self._starts[0]
        self._last = self._starts[-1]
        self._base = estimate.uncertainty_days
        self._firm_current = estimate.firm_current_cycle
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
