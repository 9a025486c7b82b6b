"""Shared cases of the worked examples: exact cycles ending on ANCHOR, a clinic open every day.

Cycle k then starts on ANCHOR + k * L and cycle day d of it is ANCHOR + k * L + (d - 1).
"""

from datetime import date, timedelta

from scheduling.timeline import CourseInput, Facts, Route, Source

ANCHOR = date(2025, 1, 6)  # a Monday, the last reported CD1
EVERY_DAY = frozenset(range(7))
LENGTHS = [21, 24, 28, 35, 45]
# By hand, luteal 14: O = L - 14; intrauterine CD10 clamped into CD6-O; ultrasound CD O-2
# clamped into CD max(6, O-3)-O; suggested transfer day CD O+5.
OVULATION = {21: 7, 24: 10, 28: 14, 35: 21, 45: 31}
INFUSION_DAY = {21: 7, 24: 10, 28: 10, 35: 10, 45: 10}
ULTRASOUND_DAY = {21: 6, 24: 8, 28: 12, 35: 19, 45: 29}
TRANSFER_DAY = {21: 12, 24: 15, 28: 19, 35: 26, 45: 36}


def day_of(length: int, cycle: int, cycle_day: int) -> date:
    return ANCHOR + timedelta(days=cycle * length + cycle_day - 1)


def history(length: int, count: int = 4) -> tuple[date, ...]:
    return tuple(ANCHOR - timedelta(days=length * k) for k in range(count))


def course(length: int = 28, **changes) -> CourseInput:
    values = {
        "source": Source.BONE_MARROW,
        "route": Route.INTRAUTERINE,
        "planned_infusions": 1,
        "not_before": ANCHOR,
        "period_starts": history(length),
        "open_weekdays": EVERY_DAY,
    }
    values.update(changes)
    return CourseInput(**values)


def released_in(length: int, cycle: int) -> Facts:
    """Cells released on CD1 of ``cycle``: the first infusion goes in that cycle."""
    return Facts(released_on=day_of(length, cycle, 1))
