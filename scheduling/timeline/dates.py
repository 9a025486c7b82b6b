"""The one date range every date in Endoplan must fall in (fact, setting, query parameter).

Two layers. ``EARLIEST``/``LATEST`` bound any date the engine accepts at all: far enough from
``date.min``/``date.max`` that planning a year of cycles around it can never overflow. The
plausible range narrows that around today for what a person records: a clinic has no facts
from a decade ago and plans nothing more than two years ahead. Callers read "today" from the
clinic's clock and pass it in; this module never reads a clock.
"""

from __future__ import annotations

from datetime import date, timedelta

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
PLAUSIBLE_PAST = timedelta(days=3653)  # ten years back: history a clinic may still record
PLAUSIBLE_FUTURE = timedelta(days=731)  # two years ahead: the longest a course is planned


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def spoken(day: date | int) -> str:
    """A day (or its ordinal) inside the engine's sentences, as people read it: "Tue 3 Nov
    2026" (en-GB, the clinic's convention; scheduling/conventions.py formats the pages so)."""
    if isinstance(day, int):
        day = date.fromordinal(day)
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


class DateOutOfRange(ValueError):
    """``str(error)`` is a sentence for the person who typed the date."""


def plausible_range(today: date) -> tuple[date, date]:
    """The first and last date a person may enter, around ``today``."""
    return max(EARLIEST, today - PLAUSIBLE_PAST), min(LATEST, today + PLAUSIBLE_FUTURE)


def check_absolute(day: date, what: str = "A date") -> None:
    """Refuse a date no clinic could mean (year 1, year 9999)."""
    if not EARLIEST <= day <= LATEST:
        raise DateOutOfRange(
            f"{what} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()} "
            f"(got {spoken(day)})."
        )


def check_plausible(
    day: date, today: date, what: str = "The date", *, future_allowed: bool = True
) -> None:
    """Refuse a date outside the plausible range around ``today`` (or after today, when
    ``future_allowed`` is false)."""
    first, last = plausible_range(today)
    if not future_allowed:
        last = today
    if day < first:
        raise DateOutOfRange(f"{what} ({spoken(day)}) is more than ten years ago; check the year.")
    if day > last:
        if not future_allowed:
            raise DateOutOfRange(f"{what} ({spoken(day)}) cannot be in the future.")
        raise DateOutOfRange(
            f"{what} ({spoken(day)}) is more than two years ahead; check the year."
        )
