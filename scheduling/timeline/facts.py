"""Refusing the impossible: one validation of a course's input and its facts.

``validate_course`` runs inside every ``plan()`` and reads no clock: every date within
``dates.EARLIEST``-``dates.LATEST``, the protocol's numbers in range, the facts consistent
with each other. ``validate_facts`` is for callers that have a clock (forms, the command):
the same fact checks plus each fact inside the plausible range around ``today`` and nothing
done after today. Both raise ``InvalidFact`` (an ``InvalidCourse``) naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

from scheduling.timeline import dates
from scheduling.timeline.cycles import FIRST_PROLIFERATIVE_DAY, MIN_CYCLE_LENGTH, InvalidCourse
from scheduling.timeline.dates import spoken
from scheduling.timeline.steps import (
    DEFAULT_PROTOCOL,
    FOLLOW_UPS_IN_PREGNANCY,
    CourseInput,
    Facts,
    PregnancyTest,
    Protocol,
    Route,
    Source,
    Thickness,
)

MAX_THICKNESS_MM = 30.0
_SOURCES, _ROUTES = frozenset(Source), frozenset(Route)
_WEEKDAYS = frozenset(range(7))
_DROPPABLE = ("ultrasound-", "follow-up-")


class InvalidFact(InvalidCourse):
    """A recorded fact (or date) that cannot be true. ``field`` names it for a form:
    "harvested_on", "released_on", "expires_on", "infused_on", "thickness_mm", "measured_on",
    "step_key", "period_start", "not_before", "closed_date", "chosen_day", "lot_allocated_on",
    "transfer_on", "pregnancy_test", "pregnancy_ended_on" (None: no one field).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def thickness_results(facts: Facts) -> tuple[Thickness, ...]:
    """The facts' thickness results as ``Thickness`` (plain (date, mm) tuples accepted)."""
    return tuple(r if isinstance(r, Thickness) else Thickness(*r) for r in facts.thickness_results)


def pregnancy_tests(facts: Facts) -> tuple[PregnancyTest, ...]:
    """The facts' pregnancy tests as ``PregnancyTest``, in date order."""
    return tuple(sorted(PregnancyTest(*test) for test in facts.pregnancy_tests))


def _in_range(day: object, field: str, what: str) -> None:
    if not isinstance(day, date):
        raise InvalidFact(f"{what} must be a date (got {day!r}).", field)
    try:
        dates.check_absolute(day, what)
    except dates.DateOutOfRange as error:
        raise InvalidFact(str(error), field) from None


def _all_in_range(days: Iterable[date], field: str, what: str) -> None:
    """``_in_range`` for many dates, fast when they all are (the usual case)."""
    days = tuple(days)
    try:
        if not days or (min(days) >= dates.EARLIEST and max(days) <= dates.LATEST):
            return
    except TypeError:
        pass  # not all dates: the loop names the first one that is not
    for day in days:
        _in_range(day, field, what)


def _fact_dates(facts: Facts) -> Iterable[tuple[date | None, str, str, bool]]:
    """(date, field, what, may be in the future) of every dated fact."""
    yield facts.harvested_on, "harvested_on", "The harvest", False
    yield facts.released_on, "released_on", "The batch release", False
    yield facts.expires_on, "expires_on", "The batch expiry", True
    for day in facts.infusions_done:
        yield day, "infused_on", "An infusion", False
    for result in facts.thickness_results:
        yield result[0], "measured_on", "A thickness result", False
    yield facts.lot_allocated_on, "lot_allocated_on", "The donor-lot dose allocation", False
    yield facts.transfer_on, "transfer_on", "The embryo transfer", False
    for test in facts.pregnancy_tests:
        yield test[0], "pregnancy_test", "A pregnancy test", False
    yield facts.pregnancy_ended_on, "pregnancy_ended_on", "The end of the pregnancy", False


def check_facts(facts: Facts) -> tuple[Thickness, ...]:
    """Every fact on its own and against the others (no clock); the normalised results."""
    harvested, released, expires = facts.harvested_on, facts.released_on, facts.expires_on
    done, raw = facts.infusions_done, facts.thickness_results
    allocated, transfer, tests = facts.lot_allocated_on, facts.transfer_on, facts.pregnancy_tests
    ended = facts.pregnancy_ended_on
    singles = (harvested, released, expires, allocated, transfer, ended)
    if not done and not raw and not tests and all(day is None for day in singles):
        return ()  # nothing recorded yet: the usual new course
    try:
        every = [d for d in singles if d is not None]
        every += done
        every += [result[0] for result in raw]
        every += [test[0] for test in tests]
        in_range = min(every) >= dates.EARLIEST and max(every) <= dates.LATEST
    except (TypeError, IndexError):
        in_range = False
    if not in_range:  # name the first fact out of range (or not a date)
        for day, field, what, _ in _fact_dates(facts):
            if day is not None:
                _in_range(day, field, what)
    if harvested and released and released < harvested:
        raise InvalidFact(
            f"The release ({spoken(released)}) cannot be before the harvest ({spoken(harvested)}).",
            "released_on",
        )
    if released and expires and expires <= released:
        raise InvalidFact(
            f"The expiry ({spoken(expires)}) must be after the release ({spoken(released)}).",
            "expires_on",
        )
    if len(set(done)) != len(done):
        raise InvalidFact("Two infusions are recorded on the same day.", "infused_on")
    _check_course_end(facts)
    if harvested and done and min(done) < harvested:
        raise InvalidFact(
            f"The harvest is recorded on {spoken(harvested)}, after the cells were infused on "
            f"{spoken(min(done))}.",
            "harvested_on",
        )
    try:
        results = thickness_results(facts)
    except TypeError:
        raise InvalidFact(
            "A thickness result is a date, millimetres and optionally the visit it was "
            "recorded against.",
            "thickness_mm",
        ) from None
    by_day: dict[date, float] = {}
    keys: set[str] = set()
    for on, mm, key in results:
        if isinstance(mm, bool) or not isinstance(mm, (int, float)) or not math.isfinite(mm):
            raise InvalidFact(
                f"The thickness on {spoken(on)} must be a number of millimetres.", "thickness_mm"
            )
        if not 0 < mm <= MAX_THICKNESS_MM:
            raise InvalidFact(
                f"An endometrial thickness must be more than 0 and at most "
                f"{MAX_THICKNESS_MM:g} mm (got {mm:g} mm on {spoken(on)}).",
                "thickness_mm",
            )
        if by_day.setdefault(on, mm) != mm:
            raise InvalidFact(
                f"Two thickness results are recorded on {spoken(on)}: {by_day[on]:g} mm and "
                f"{mm:g} mm; keep one.",
                "measured_on",
            )
        if key is not None:
            if key in keys:
                raise InvalidFact(
                    f"Two thickness results are recorded against {key}; keep one.", "step_key"
                )
            keys.add(key)
    return results


def _check_course_end(facts: Facts) -> None:
    """The donor-lot dose, the transfer and the pregnancy facts against the others."""
    allocated, expires, transfer = facts.lot_allocated_on, facts.expires_on, facts.transfer_on
    if allocated and expires and expires <= allocated:
        raise InvalidFact(
            f"The donor lot's expiry ({spoken(expires)}) must be after the dose was "
            f"allocated ({spoken(allocated)}).",
            "expires_on",
        )
    try:
        tests = pregnancy_tests(facts)
    except TypeError:
        raise InvalidFact(
            "A pregnancy test is a date and positive or negative.", "pregnancy_test"
        ) from None
    if len({test.on for test in tests}) != len(tests):
        raise InvalidFact("Two pregnancy tests are recorded on the same day.", "pregnancy_test")
    if tests and (transfer is None or tests[0].on < transfer):
        raise InvalidFact(
            f"A pregnancy test ({tests[0].on}) needs an embryo transfer on or before it.",
            "pregnancy_test",
        )
    ended = facts.pregnancy_ended_on
    if ended and not any(test.positive and test.on <= ended for test in tests):
        raise InvalidFact(
            f"The pregnancy cannot end on {spoken(ended)} without a positive test on or before it.",
            "pregnancy_ended_on",
        )


def validate_facts(facts: Facts, *, today: date) -> None:
    """``check_facts`` plus, for a caller with a clock: every fact date inside the plausible
    range around ``today`` and no harvest, release, infusion or result after ``today``."""
    _in_range(today, "today", "Today")
    check_facts(facts)
    for day, field, what, future_allowed in _fact_dates(facts):
        if day is None:
            continue
        try:
            dates.check_plausible(day, today, what, future_allowed=future_allowed)
        except dates.DateOutOfRange as error:
            raise InvalidFact(str(error), field) from None


def _check_protocol(p: Protocol) -> None:
    """The protocol's numbers in range (``DEFAULT_PROTOCOL`` is checked once, at import)."""
    if p.max_infusions < 1:
        raise InvalidCourse("The protocol must allow at least one infusion.")
    if not 0 <= p.expansion_min_days <= p.expansion_max_days:
        raise InvalidCourse("The expansion must take a minimum of days no longer than its maximum.")
    if not 1 <= p.menstrual_harvest_days[0] <= p.menstrual_harvest_days[1] <= 5:
        raise InvalidCourse("Menstrual-blood collection days must lie within cycle days 1-5.")
    if not FIRST_PROLIFERATIVE_DAY <= p.artery_days[0] <= p.artery_days[1]:
        raise InvalidCourse("The intrauterine-artery days must lie in the proliferative phase.")
    if not p.artery_days[0] <= p.artery_preferred_day <= p.artery_days[1]:
        raise InvalidCourse(
            f"The preferred intrauterine-artery day must lie in cycle days "
            f"{p.artery_days[0]}-{p.artery_days[1]} (got {p.artery_preferred_day})."
        )
    if p.thickness_threshold_mm <= 0 or p.transfer_wait_cycles < 0 or p.preferred_infusion_day < 1:
        raise InvalidCourse("The protocol's threshold, wait and preferred day must be positive.")
    if not 1 <= p.response_window_days <= 10:
        raise InvalidCourse("The response window must span 1 to 10 days before ovulation.")
    if not 1 <= p.min_period_gap_days <= MIN_CYCLE_LENGTH:
        raise InvalidCourse(
            f"The minimum gap between period starts must be 1 to {MIN_CYCLE_LENGTH} days."
        )
    if not 0 <= p.missed_period_tolerance_days <= 7:
        raise InvalidCourse("The missed-period tolerance must be 0 to 7 days.")
    if any(m < 1 for m in p.follow_up_months):
        raise InvalidCourse("Follow-ups must be at least one month after the last infusion.")
    if len(set(p.follow_up_months)) != len(p.follow_up_months):
        raise InvalidCourse("Each follow-up month may appear only once.")
    if not 0 <= p.uc_thaw_lead_days <= 30:
        raise InvalidCourse("The donor-lot thaw and preparation lead time must be 0 to 30 days.")
    if p.follow_ups_in_pregnancy not in FOLLOW_UPS_IN_PREGNANCY:
        raise InvalidCourse('Follow-ups in pregnancy are either "hold" or "drop".')


def validate_course(course: CourseInput) -> tuple[Thickness, ...]:
    """Everything ``plan`` refuses as input (no clock); the normalised thickness results."""
    p, f = course.protocol, course.facts
    if course.source not in _SOURCES:
        raise InvalidCourse(f"Unknown cell source {course.source!r}.")
    if course.route not in _ROUTES:
        raise InvalidCourse(f"Unknown infusion route {course.route!r}.")
    if not course.open_weekdays or not course.open_weekdays <= _WEEKDAYS:
        raise InvalidCourse("The clinic must be open on at least one weekday (0 Monday-6 Sunday).")
    if p is not DEFAULT_PROTOCOL:
        _check_protocol(p)
    if not 1 <= course.planned_infusions <= p.max_infusions:
        raise InvalidCourse(
            f"The number of planned infusions must be between 1 and {p.max_infusions} "
            f"(got {course.planned_infusions})."
        )
    chosen = course.chosen_days
    try:  # one look at every date of the course; the details only when one is out of range
        every = [*course.period_starts, course.not_before, *course.closed_dates]
        if chosen:
            every += [day for _, day in chosen]
        in_range = min(every) >= dates.EARLIEST and max(every) <= dates.LATEST
    except (TypeError, ValueError):
        in_range = False
    if not in_range:
        _all_in_range(course.period_starts, "period_start", "A period start")
        _in_range(course.not_before, "not_before", "The first visit date")
        _all_in_range(course.closed_dates, "closed_date", "A closed date")
        _all_in_range((day for _, day in course.chosen_days), "chosen_day", "A chosen day")
    if chosen and len({key for key, _ in chosen}) != len(chosen):
        raise InvalidCourse("A step may have only one chosen day.")
    for key in course.dropped_steps:
        if key != "transfer-window" and not key.startswith(_DROPPABLE):
            raise InvalidCourse(
                f"Only ultrasounds, follow-ups and the embryo-transfer window can be dropped "
                f"(got {key!r}); lower the planned infusions to drop an infusion."
            )
    results = check_facts(f)
    if course.source == Source.UMBILICAL_CORD and (f.harvested_on or f.released_on):
        raise InvalidFact(
            "An umbilical-cord course has no harvest and no batch release: it is given a dose "
            "of a released donor lot (lot_allocated_on).",
            "harvested_on" if f.harvested_on else "released_on",
        )
    if course.source != Source.UMBILICAL_CORD and f.lot_allocated_on:
        raise InvalidFact(
            "Only an umbilical-cord course is given a donor-lot dose; this course's cells are "
            "harvested and expanded.",
            "lot_allocated_on",
        )
    if len(f.infusions_done) > p.max_infusions:
        raise InvalidFact(
            f"{len(f.infusions_done)} infusions are recorded but the protocol allows at most "
            f"{p.max_infusions}.",
            "infused_on",
        )
    return results


_check_protocol(DEFAULT_PROTOCOL)
