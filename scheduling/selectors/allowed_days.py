"""The days a visit may go to, and why each other day may not.

One rule for every way a person moves a visit: the calendar's shading while a visit is dragged,
its Move… dialog, the booking page, and the appointment service that refuses a move or a
booking (``services.appointments``) all ask ``day_reasons``. For a course's step that is the
engine's ``timeline.check_step_date`` (phase window, cells ready and not expired, the steps
before it, open weekdays, closed dates) and, for a harvest or an infusion, consent in force
(``selectors.consent``); for a visit outside a course, the clinic's open days.

The context is read once (a fixed number of queries) and each day is then checked in memory,
so a month of days costs what one day does.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from scheduling import timeline
from scheduling.models import Appointment
from scheduling.selectors.consent import GATED_KINDS, consent_refusal, step_action
from scheduling.selectors.courses import clinic_closed_dates, course_input
from scheduling.services import slots

NON_COURSE_DAYS = 21  # how far ahead a visit outside a course is offered by default
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PAST = "That day has passed: nothing is booked or moved into the past."


@dataclass(frozen=True)
class DayRules:
    """What deciding a day needs for one visit, read once."""

    appointment: Appointment
    course: timeline.CourseInput | None
    closed: frozenset[dt.date]
    today: dt.date
    consent: str = ""  # why the step needs consent first, "" when it is in force


def day_rules(appointment: Appointment) -> DayRules:
    clinic = appointment.clinic
    course, consent = None, ""
    if appointment.course_id and appointment.step_key:
        course = course_input(appointment.course)
        closed = course.closed_dates
        if appointment.kind in GATED_KINDS:
            action = step_action(appointment.kind, "moving")
            consent = consent_refusal(appointment.course, action)
    else:
        closed = clinic_closed_dates(clinic)
    today = timezone.localdate(timezone=clinic.zone)
    return DayRules(appointment, course, closed, today, consent)


def day_reasons(rules: DayRules, day: dt.date) -> list[str]:
    """Why the visit may not go on ``day`` (empty: it may). Days before today are the
    service's own check (it compares times, not days); the engine's rules come from
    ``timeline.check_step_date`` alone."""
    appointment = rules.appointment
    if rules.course is None:
        clinic = appointment.clinic
        if day.weekday() not in clinic.open_weekday_numbers:
            return [f"The clinic is closed on {_WEEKDAYS[day.weekday()]}s."]
        if not slots.is_open_day(clinic, day, rules.closed):
            return [f"The clinic is closed on {day:%a %-d %b %Y}."]
        return []
    consent = [rules.consent] if rules.consent else []
    try:
        return consent + timeline.check_step_date(rules.course, appointment.step_key, day)
    except KeyError:
        return ["This step is no longer in the course's plan; refresh the calendar."]
    except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
        return [*consent, str(refusal)]


@dataclass(frozen=True)
class DayVerdict:
    day: dt.date
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def why(self) -> str:
        return " ".join(dict.fromkeys(self.reasons))


def day_verdicts(rules: DayRules, first: dt.date, last: dt.date) -> list[DayVerdict]:
    """Each day from ``first`` to ``last`` (inclusive) with why it is refused, if it is."""
    verdicts = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        reasons = [PAST] if day < rules.today else day_reasons(rules, day)
        verdicts.append(DayVerdict(day, tuple(reasons)))
    return verdicts


def default_range(rules: DayRules) -> tuple[dt.date, dt.date] | None:
    """The days worth offering: the step's window in its cycle from today on (the engine's
    ``window_start``/``window_end``), or three weeks from today for a visit outside a course.
    None when there is none (a done step, a course without a plan)."""
    appointment, today = rules.appointment, rules.today
    if rules.course is None:
        first = max(today, appointment.starts_at.astimezone(appointment.clinic.zone).date())
        return first, first + dt.timedelta(days=NON_COURSE_DAYS - 1)
    try:
        step = timeline.plan(rules.course).step(appointment.step_key)
    except (KeyError, timeline.PlanRefused, timeline.InvalidCourse):
        return None
    if step.done:
        return None
    first, last = step.window_start or step.date, step.window_end or step.date
    if first is None or last is None:
        return None
    first = max(first, today)
    return (first, last) if first <= last else None


def allowed_days(appointment: Appointment) -> list[dt.date]:
    """The days from today on that the visit may take, in its default range."""
    rules = day_rules(appointment)
    found = default_range(rules)
    if found is None:
        return []
    return [verdict.day for verdict in day_verdicts(rules, *found) if verdict.allowed]
