"""A patient's cycle pattern from the period starts she reported (DESIGN.md §3).

Reported dates are messy: a start typed twice a day apart, a month she forgot to report. This
module reads them as a person would before estimating: near-duplicates (closer than
``min_gap_days``) are ignored, an interval of about two or three typical cycles is read as
missed reports and split, and every such decision is a warning on the estimate. Callers that
record a new start ask ``period_start_conflict`` first.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable
from datetime import date

from scheduling.timeline.cycles import (
    MAX_CYCLE_LENGTH,
    MAX_LUTEAL,
    MIN_CYCLE_LENGTH,
    MIN_LUTEAL,
    CycleEstimate,
    InvalidCourse,
)
from scheduling.timeline.dates import spoken

RECENT_INTERVALS = 6
IRREGULAR_SPREAD_DAYS = 7
# Floor of the uncertainty of a predicted cycle start. Most regular cycles vary by a couple of
# days from one cycle to the next; a length the patient only stated was never measured here.
REGULAR_UNCERTAINTY_DAYS = 2
STATED_UNCERTAINTY_DAYS = 3
DEFAULT_MIN_PERIOD_GAP = 10  # days: closer period starts are near-duplicates
DEFAULT_MISSED_TOLERANCE = 4  # days from 2 or 3 typical cycles: read as missed reports


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
        f"The period start on {spoken(new)} is only {gap} day{'s' * (gap != 1)} {where} "
        f"the one reported on {spoken(other)}; period starts are at least {min_gap_days} "
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
    ordinals = list(map(date.toordinal, reported))
    gaps = list(map(operator.sub, ordinals[1:], ordinals))
    kept = reported
    if gaps and min(gaps) < min_gap_days:
        kept, ordinals = _drop_near_duplicates(reported, min_gap_days, warnings)
        gaps = list(map(operator.sub, ordinals[1:], ordinals))
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
                f"The period start on {spoken(day)} is only {gap} day{'s' * (gap != 1)} "
                f"after the one on {spoken(kept[-1])}: ignored (period starts are at "
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
