"""Re-planning: the one path that keeps a course's visits in line with the engine's plan.

Two kinds of visit, two kinds of write (a booking is a fact a person made):

* Tentative visits follow the plan: a re-plan creates, moves and cancels them.
* Booked and confirmed visits are a person's decision. A re-plan never changes their day,
  time, room or clinician. When one no longer fits the rules it is flagged
  (``rebooking_reason``), its reminders wait, and a person moves it or keeps it where it
  stands; the later tentative steps follow the engine's new suggestion meanwhile. A visit
  whose time has passed is never touched: it waits for its outcome to be recorded.

Each re-plan is one transaction that locks the clinic, the course and its appointments in that
order (``services.locks``), reads the appointments fresh under the lock, and clears the course's
``replan_requested_at`` mark. A plan the engine refuses is kept on the course
(``plan_problem``, listed in needs-attention) and returned; nothing else changes then.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    CLOSED_COURSES,
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseStatus,
)
from scheduling.reports import responses
from scheduling.selectors.courses import course_input
from scheduling.services import locks, reminders, slots

STEP_KINDS = {
    timeline.StepKind.HARVEST: AppointmentKind.HARVEST,
    timeline.StepKind.INFUSION: AppointmentKind.INFUSION,
    timeline.StepKind.ULTRASOUND: AppointmentKind.ULTRASOUND,
    timeline.StepKind.FOLLOW_UP: AppointmentKind.FOLLOW_UP,
    timeline.StepKind.TRANSFER_WINDOW: AppointmentKind.EMBRYO_TRANSFER,
}
LIVE = (AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
# Not planned at all. A pregnant course is planned: the engine plans nothing from her cycles
# from the positive test's day (its facts come from the outcome records) and holds or drops
# the follow-ups, so its visits follow the same one rule.
HELD_COURSES = CLOSED_COURSES
# Statuses set by recorded outcomes or a person, never by the plan's decision.
FACT_STATUSES = (*CLOSED_COURSES, CourseStatus.PREGNANT, CourseStatus.TRANSFERRED)
# Why a visit planned from her cycles is no longer planned (services/outcomes.py reads it too).
PREGNANCY_HOLD = (
    "Pregnancy confirmed on {on:%a %-d %b %Y}: visits planned from her cycles are held."
)
OUTCOME_STATUS = {
    timeline.Outcome.RESPONDED: CourseStatus.RESPONDED,
    timeline.Outcome.NON_RESPONDER: CourseStatus.NON_RESPONDER,
}
DONE_ELSEWHERE = (
    "This step is already recorded as done on {day:%a %-d %b %Y}; cancel this visit, or keep "
    "it where it stands."
)
NOT_IN_PLAN = (
    "The course's plan no longer has this visit ({why}); cancel it, or keep it where it stands."
)


@dataclass
class ReplanResult:
    """What a re-plan did. ``problem``: why the course cannot be planned (nothing moved)."""

    plan: timeline.Plan | None = None
    changes: list[timeline.Change] = field(default_factory=list)
    touched: list[Appointment] = field(default_factory=list)
    flagged: list[Appointment] = field(default_factory=list)
    problem: str = ""


def step_day(step: timeline.Step) -> dt.date | None:
    """The day a step's appointment goes on: its date, or the first suggested transfer day
    (None once the window holds no suggested day from today on: no visit is planned then)."""
    if step.kind == timeline.StepKind.TRANSFER_WINDOW:
        return step.suggested[0] if step.suggested else None
    return step.date


def tentative_start(course: Course, day: dt.date) -> dt.datetime:
    """Where a not-yet-booked visit sits on the calendar: the first hour the clinic opens."""
    return dt.datetime.combine(day, course.clinic.opens_at, tzinfo=course.clinic.zone)


def course_replan(*, course: Course, notify: bool = True) -> ReplanResult:
    """Plan the course from its facts and bring its tentative visits in line (see above)."""
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        appointments = locks.locked_appointments(course)
        if course.status in HELD_COURSES:
            _store_bookkeeping(course, problem="", waits_for_dose=False)
            return ReplanResult()
        facts = course_input(course, appointments=appointments)
        try:
            plan = timeline.plan(facts)
        except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
            _store_bookkeeping(course, problem=str(refusal), waits_for_dose=False)
            _store_response(course, responses.input_response(facts))
            return ReplanResult(problem=str(refusal))
        result = _Reconcile(course, appointments, plan).run()
        _update_status(course, plan)
        _store_response(course, responses.plan_response(plan))
        waits = plan.waiting_for == timeline.WAITING_FOR_DONOR_LOT
        _store_bookkeeping(course, problem="", waits_for_dose=waits)
        for appointment in result.touched:
            reminders.reminders_sync(appointment=appointment, cd1_requests=False)
        if any(a.status == AppointmentStatus.TENTATIVE for a in result.touched):
            reminders.cd1_requests_sync(patient=course.patient)
        if notify:
            reminders.plan_changes_notify(course=course, changes=result.changes)
    return result


def _store_bookkeeping(course: Course, *, problem: str, waits_for_dose: bool) -> None:
    """What the re-plan derives, and the re-plan mark cleared (not a person's change, so not an
    audit event)."""
    derived = {
        "replan_requested_at": None,
        "plan_problem": problem,
        "waits_for_dose": waits_for_dose,
    }
    if all(getattr(course, name) == value for name, value in derived.items()):
        return
    for name, value in derived.items():
        setattr(course, name, value)
    Course.objects.filter(pk=course.pk).update(**derived)


def _store_response(course: Course, decided: tuple[dt.date, float] | None) -> None:
    """Keep the decided response on the course for the outcomes report. Audited (a course
    change): it is the course's clinical decision, and a re-plan that runs after the fact's
    own transaction (a settings change) moves the report's cached figures on with it."""
    on, mm = (None, None) if decided is None else (decided[0], Decimal(f"{decided[1]:.1f}"))
    if course.response_on == on and course.response_mm == mm:
        return
    course.response_on, course.response_mm = on, mm
    course.save(update_fields=["response_on", "response_mm"])


class _Reconcile:
    """One re-plan's writes: tentative visits follow the plan; booked ones are only flagged."""

    def __init__(self, course: Course, appointments: list[Appointment], plan: timeline.Plan):
        self.course, self.plan = course, plan
        self.zone = course.clinic.zone
        self.now = timezone.now()
        self.result = ReplanResult(plan=plan)
        self.done_keys = {a.step_key for a in appointments if a.status == AppointmentStatus.DONE}
        self.live = {a.step_key: a for a in appointments if a.step_key and a.status in LIVE}
        self.rejected = {choice.key: choice.reason for choice in plan.rejected_choices}

    def run(self) -> ReplanResult:
        for step in self.plan.steps:
            day = step_day(step)
            if step.kind not in STEP_KINDS or step.key in self.done_keys or day is None:
                continue
            appointment = self.live.pop(step.key, None)
            if appointment is None:
                if not step.done:
                    self.result.touched.append(self._create(step, day))
                    self.result.changes.append(timeline.Change(step.key, None, day))
            elif step.done and step.kind == timeline.StepKind.ULTRASOUND:
                self._done_elsewhere(appointment, day)
            elif step.done:
                self._flag(appointment, DONE_ELSEWHERE.format(day=day))
            elif appointment.status == AppointmentStatus.TENTATIVE:
                self._follow(appointment, step, day)
            else:
                self._flag(appointment, self._booking_problem(appointment, step))
        for appointment in self.live.values():  # steps the plan no longer has
            if appointment.status == AppointmentStatus.TENTATIVE:
                self._cancel(appointment)
            else:
                self._flag(appointment, self._why_not_in_plan())
        return self.result

    def local_day(self, appointment: Appointment) -> dt.date:
        return appointment.starts_at.astimezone(self.zone).date()

    def _create(self, step: timeline.Step, day: dt.date) -> Appointment:
        kind = STEP_KINDS[step.kind]
        starts_at = tentative_start(self.course, day)
        return Appointment.objects.create(
            clinic=self.course.clinic,
            patient=self.course.patient,
            course=self.course,
            step_key=step.key,
            kind=kind,
            status=AppointmentStatus.TENTATIVE,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=VISIT_MINUTES[kind]),
            uncertainty_days=step.uncertainty_days,
        )

    def _follow(self, appointment: Appointment, step: timeline.Step, day: dt.date) -> None:
        """Move a tentative visit to its step's day, at the same local time."""
        old_day = self.local_day(appointment)
        fields = []
        if appointment.uncertainty_days != step.uncertainty_days:
            appointment.uncertainty_days = step.uncertainty_days
            fields.append("uncertainty_days")
        if old_day != day:
            local_time = appointment.starts_at.astimezone(self.zone).time()
            duration = appointment.ends_at - appointment.starts_at
            appointment.starts_at = dt.datetime.combine(day, local_time, tzinfo=self.zone)
            appointment.ends_at = appointment.starts_at + duration
            appointment.version += 1
            fields += ["starts_at", "ends_at", "version"]
            self.result.changes.append(timeline.Change(step.key, old_day, day))
        if fields:
            appointment.save(update_fields=[*fields, "updated_at"])
            self.result.touched.append(appointment)

    def _done_elsewhere(self, appointment: Appointment, day: dt.date) -> None:
        """The step was done by a fact recorded without its visit (a response thickness)."""
        if appointment.status == AppointmentStatus.TENTATIVE or self.local_day(appointment) == day:
            if self.local_day(appointment) != day:
                local_time = appointment.starts_at.astimezone(self.zone).time()
                duration = appointment.ends_at - appointment.starts_at
                appointment.starts_at = dt.datetime.combine(day, local_time, tzinfo=self.zone)
                appointment.ends_at = appointment.starts_at + duration
                appointment.version += 1
            appointment.status = AppointmentStatus.DONE
            appointment.uncertainty_days = 0
            appointment.save(
                update_fields=[
                    "status",
                    "starts_at",
                    "ends_at",
                    "version",
                    "uncertainty_days",
                    "updated_at",
                ]
            )
            self.result.touched.append(appointment)
            return
        self._flag(appointment, DONE_ELSEWHERE.format(day=day))

    def _booking_problem(self, appointment: Appointment, step: timeline.Step) -> str | None:
        """Why a booked visit no longer fits ("" when it does, None when it is past)."""
        if appointment.ends_at <= self.now:
            return None  # past: its outcome is awaited, never a re-booking
        reasons = []
        if step.key in self.rejected:
            reasons.append(self.rejected[step.key])
        clinic = self.course.clinic
        if room := slots.room_problem(appointment):
            reasons.append(room)
        if not slots.within_opening_hours(clinic, appointment.starts_at, appointment.ends_at):
            reasons.append(
                f"The clinic is now open {clinic.opens_at:%H:%M} to {clinic.closes_at:%H:%M}."
            )
        return " ".join(reasons)

    def _flag(self, appointment: Appointment, reason: str | None) -> None:
        if reason is None or appointment.ends_at <= self.now:
            return
        if reason and reason == appointment.kept_despite:
            reason = ""  # a person saw this and kept the visit where it stands
        if appointment.rebooking_reason == reason:
            return
        if reason:
            self.result.flagged.append(appointment)
        appointment.rebooking_reason = reason
        appointment.save(update_fields=["rebooking_reason", "updated_at"])
        self.result.touched.append(appointment)

    def _cancel(self, appointment: Appointment) -> None:
        appointment.status = AppointmentStatus.CANCELLED
        fields = ["status", "updated_at"]
        if self.plan.pregnant_from is not None:
            appointment.cancel_reason = PREGNANCY_HOLD.format(on=self.plan.pregnant_from)
            fields.append("cancel_reason")
        appointment.save(update_fields=fields)
        self.result.touched.append(appointment)
        self.result.changes.append(
            timeline.Change(appointment.step_key, self.local_day(appointment), None)
        )

    def _why_not_in_plan(self) -> str:
        if self.plan.pregnant_from is not None:
            return PREGNANCY_HOLD.format(on=self.plan.pregnant_from)
        return NOT_IN_PLAN.format(why=self._why_dropped())

    def _why_dropped(self) -> str:
        if self.plan.outcome == timeline.Outcome.RESPONDED:
            return "the patient responded"
        return "the plan changed"


def _update_status(course: Course, plan: timeline.Plan) -> None:
    if course.status in FACT_STATUSES:
        return
    status = OUTCOME_STATUS.get(plan.outcome)
    if status is None:
        any_done = any(step.done for step in plan.steps if step.kind in STEP_KINDS)
        status = CourseStatus.ACTIVE if any_done else CourseStatus.PLANNING
    if course.status != status:
        course.status = status
        course.save(update_fields=["status", "updated_at"])
