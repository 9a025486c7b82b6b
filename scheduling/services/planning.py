"""Re-planning: keep a course's appointments in line with what the timeline engine says.

Called after every new fact (a reported CD1, a harvest, a batch release, a procedure done, a
thickness result). Done appointments never move. The days of booked, confirmed and pinned
appointments go into the engine's input (``course_input``), which keeps each on its day while
that day still fits the rules and plans the later steps from it; every appointment then moves
to its step's day at the same local time. Steps the plan no longer has are cancelled; new
steps get a tentative appointment. All in one transaction, with the course row locked.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from scheduling import timeline
from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseStatus,
)
from scheduling.selectors.courses import course_input
from scheduling.services import reminders

STEP_KINDS = {
    timeline.StepKind.HARVEST: AppointmentKind.HARVEST,
    timeline.StepKind.INFUSION: AppointmentKind.INFUSION,
    timeline.StepKind.ULTRASOUND: AppointmentKind.ULTRASOUND,
    timeline.StepKind.FOLLOW_UP: AppointmentKind.FOLLOW_UP,
    timeline.StepKind.TRANSFER_WINDOW: AppointmentKind.EMBRYO_TRANSFER,
}
LIVE = (AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
OUTCOME_STATUS = {
    timeline.Outcome.RESPONDED: CourseStatus.RESPONDED,
    timeline.Outcome.NON_RESPONDER: CourseStatus.NON_RESPONDER,
}


@dataclass
class ReplanResult:
    plan: timeline.Plan
    changes: list[timeline.Change] = field(default_factory=list)
    touched: list[Appointment] = field(default_factory=list)


def step_day(step: timeline.Step) -> dt.date | None:
    """The day a step's appointment goes on: its date, or the first suggested transfer day."""
    if step.kind == timeline.StepKind.TRANSFER_WINDOW:
        return step.suggested[0] if step.suggested else step.window_start
    return step.date


def tentative_start(course: Course, day: dt.date) -> dt.datetime:
    """Where a not-yet-booked visit sits on the calendar: the first hour the clinic opens."""
    return dt.datetime.combine(day, course.clinic.opens_at, tzinfo=course.clinic.zone)


def course_replan(*, course: Course, notify: bool = True) -> ReplanResult:
    """Plan the course from its facts and move its appointments to match.

    Raises ``timeline.PlanRefused`` or ``timeline.InvalidCourse`` (nothing is written then).
    """
    with transaction.atomic():
        course = (
            Course.objects.select_for_update().select_related("clinic", "patient").get(pk=course.pk)
        )
        plan = timeline.plan(course_input(course))
        result = ReplanResult(plan=plan)
        live = {
            appointment.step_key: appointment
            for appointment in course.appointments.filter(status__in=LIVE).exclude(step_key="")
        }
        done_keys = set(
            course.appointments.filter(status=AppointmentStatus.DONE).values_list(
                "step_key", flat=True
            )
        )
        for step in plan.steps:
            day = step_day(step)
            if step.kind not in STEP_KINDS or step.key in done_keys or day is None:
                continue
            appointment = live.pop(step.key, None)
            if step.done:
                # Done by a fact recorded elsewhere (e.g. a thickness result for an ultrasound).
                if appointment is not None:
                    _move(course, appointment, step, day)
                    appointment.status = AppointmentStatus.DONE
                    appointment.save(update_fields=["status", "updated_at"])
                    result.touched.append(appointment)
                continue
            if appointment is None:
                result.touched.append(_create(course, step, day))
                continue
            old_day = appointment.starts_at.astimezone(course.clinic.zone).date()
            if _move(course, appointment, step, day):
                result.changes.append(timeline.Change(step.key, old_day, day))
                result.touched.append(appointment)
        for appointment in live.values():  # steps the plan no longer has
            appointment.status = AppointmentStatus.CANCELLED
            appointment.save(update_fields=["status", "updated_at"])
            result.touched.append(appointment)
            old_day = appointment.starts_at.astimezone(course.clinic.zone).date()
            result.changes.append(timeline.Change(appointment.step_key, old_day, None))
        _update_status(course, plan)
        _after_write(course, result, notify=notify)
    return result


def _create(course: Course, step: timeline.Step, day: dt.date) -> Appointment:
    kind = STEP_KINDS[step.kind]
    starts_at = tentative_start(course, day)
    return Appointment.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        step_key=step.key,
        kind=kind,
        status=AppointmentStatus.TENTATIVE,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=VISIT_MINUTES[kind]),
        uncertainty_days=step.uncertainty_days,
    )


def _move(course: Course, appointment: Appointment, step: timeline.Step, day: dt.date) -> bool:
    """Move to `day` at the same local time; False when nothing changed."""
    zone = course.clinic.zone
    local_start = appointment.starts_at.astimezone(zone)
    uncertainty = 0 if appointment.status != AppointmentStatus.TENTATIVE else step.uncertainty_days
    if local_start.date() == day:
        if appointment.uncertainty_days != uncertainty:
            appointment.uncertainty_days = uncertainty
            appointment.save(update_fields=["uncertainty_days", "updated_at"])
        return False
    duration = appointment.ends_at - appointment.starts_at
    appointment.starts_at = dt.datetime.combine(day, local_start.time(), tzinfo=zone)
    appointment.ends_at = appointment.starts_at + duration
    appointment.uncertainty_days = uncertainty
    appointment.version += 1
    if appointment.status != AppointmentStatus.TENTATIVE and _clashes(appointment):
        # The booked room or clinician is taken on the new day: the coordinator books again.
        appointment.status = AppointmentStatus.TENTATIVE
        appointment.room = None
        appointment.clinician = None
    appointment.save()
    return True


def _clashes(appointment: Appointment) -> bool:
    overlapping = Appointment.objects.filter(
        clinic=appointment.clinic,
        status__in=LIVE,
        starts_at__lt=appointment.ends_at,
        ends_at__gt=appointment.starts_at,
    ).exclude(pk=appointment.pk)
    return (
        appointment.room_id is not None and overlapping.filter(room=appointment.room_id).exists()
    ) or (
        appointment.clinician_id is not None
        and overlapping.filter(clinician=appointment.clinician_id).exists()
    )


def _update_status(course: Course, plan: timeline.Plan) -> None:
    if course.status in (CourseStatus.CANCELLED, CourseStatus.COMPLETED):
        return
    status = OUTCOME_STATUS.get(plan.outcome)
    if status is None:
        any_done = course.appointments.filter(status=AppointmentStatus.DONE).exists()
        status = CourseStatus.ACTIVE if any_done else CourseStatus.PLANNING
    if course.status != status:
        course.status = status
        course.save(update_fields=["status", "updated_at"])


def _after_write(course: Course, result: ReplanResult, *, notify: bool) -> None:
    for appointment in result.touched:
        reminders.reminders_sync(appointment=appointment)
    if notify and any(change.old_date is not None for change in result.changes):
        reminders.plan_changes_notify(course=course, changes=result.changes)
