"""Following a clinic's settings through: every affected course re-planned in the background.

A closed date, new opening days or hours, a room out of use or new protocol parameters change
what many plans depend on. The change marks the affected courses and records a ``ReplanRun``
in the admin's transaction; after commit a Celery task (ids only) re-plans each marked course
through the one re-plan path (``planning.course_replan``: booked visits are flagged, never
moved) and keeps the run's progress for the admin to read. A course whose mark outlives its
run (a worker lost, a crash) is finished by the sweeper beat runs every minute.
"""

import datetime as dt

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Course,
    ReplanRun,
    Room,
)
from scheduling.selectors.courses import clinic_protocol
from scheduling.services import reminders, slots
from scheduling.services.planning import BOOKED, CLOSED_COURSES, course_replan
from scheduling.timeline.dates import spoken

REPLAN_TASK = "scheduling.tasks.replan_clinic"
CHUNK = 200
SWEEP_AFTER = dt.timedelta(minutes=2)


def clinic_replan_request(
    *, clinic: Clinic, reason: str, actor=None, course_ids: list[int] | None = None
) -> ReplanRun:
    """Mark the clinic's open courses (or ``course_ids``) for a re-plan and queue the run
    after commit. Call inside the transaction that saves the change."""
    courses = Course.objects.filter(clinic=clinic).exclude(status__in=CLOSED_COURSES)
    if course_ids is not None:
        courses = courses.filter(pk__in=course_ids)
    now = timezone.now()
    total = courses.update(replan_requested_at=now)
    run = ReplanRun.objects.create(
        clinic=clinic, reason=reason[:200], requested_by=actor, total=total
    )
    run_id = run.pk
    # By name: the tasks module imports this one.
    transaction.on_commit(lambda: current_app.send_task(REPLAN_TASK, args=[run_id]))
    return run


def courses_with_visits_on(clinic: Clinic, day: dt.date) -> list[int]:
    """Courses with a live visit on ``day`` (a new closure): only their plans can change, as
    every step a plan has is a visit on the calendar."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=clinic.zone)
    return list(
        Appointment.objects.filter(
            clinic=clinic,
            status__in=(AppointmentStatus.TENTATIVE, *BOOKED),
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        .exclude(course=None)
        .values_list("course_id", flat=True)
        .distinct()
    )


def courses_booked_in_room(room: Room) -> list[int]:
    """Courses with a booked visit still to come in ``room`` (a room taken out of use)."""
    return list(
        Appointment.objects.filter(room=room, status__in=BOOKED, ends_at__gt=timezone.now())
        .exclude(course=None)
        .values_list("course_id", flat=True)
        .distinct()
    )


def replan_run_execute(run_id: int) -> ReplanRun:
    """Re-plan every course the run marked, in chunks, counting what needs a person."""
    run = ReplanRun.objects.select_related("clinic").get(pk=run_id)
    while True:
        batch = list(
            Course.objects.filter(clinic_id=run.clinic_id, replan_requested_at__lte=run.created_at)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        if not batch:
            break
        done = flagged = refused = 0
        for course_id in batch:
            result = course_replan(course=Course(pk=course_id, clinic_id=run.clinic_id))
            done += 1
            flagged += len(result.flagged)
            refused += bool(result.problem)
        ReplanRun.objects.filter(pk=run.pk).update(
            done=F("done") + done,
            needs_rebooking=F("needs_rebooking") + flagged,
            refused=F("refused") + refused,
        )
    flagged = visits_without_course_check(run.clinic)
    ReplanRun.objects.filter(pk=run.pk).update(
        needs_rebooking=F("needs_rebooking") + flagged, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def visits_without_course_check(clinic: Clinic) -> int:
    """Flag booked visits outside any course (consultations) that a closure, new hours or a
    room out of use no longer fit; returns how many were newly flagged."""
    closed = frozenset(clinic.closed_dates.values_list("date", flat=True))
    flagged = 0
    for appointment in Appointment.objects.filter(
        clinic=clinic, course=None, status__in=BOOKED, ends_at__gt=timezone.now()
    ).select_related("room"):
        reasons = []
        day = appointment.starts_at.astimezone(clinic.zone).date()
        if not slots.is_open_day(clinic, day, closed):
            reasons.append(f"The clinic is closed on {spoken(day)}.")
        if not slots.within_opening_hours(clinic, appointment.starts_at, appointment.ends_at):
            reasons.append(
                f"The clinic is now open {clinic.opens_at:%H:%M} to {clinic.closes_at:%H:%M}."
            )
        if room := slots.room_problem(appointment):
            reasons.append(room)
        reason = " ".join(reasons)
        if reason == appointment.kept_despite:
            reason = ""
        if reason != appointment.rebooking_reason:
            flagged += bool(reason)
            _set_flag(appointment, reason)
    return flagged


def _set_flag(appointment: Appointment, reason: str) -> None:
    with transaction.atomic():
        appointment.rebooking_reason = reason
        appointment.save(update_fields=["rebooking_reason", "updated_at"])
        reminders.reminders_sync(appointment=appointment)


def replan_sweep(*, now: dt.datetime | None = None) -> int:
    """Finish re-plans that were asked for and never ran, and move on the courses whose
    tentative visits a new day left in the past; returns how many courses were re-planned."""
    now = now or timezone.now()
    asked = Course.objects.filter(replan_requested_at__lt=now - SWEEP_AFTER)
    stale = set(asked.values_list("pk", flat=True)[:CHUNK])
    for clinic in Clinic.objects.all():
        midnight = dt.datetime.combine(
            timezone.localdate(now, timezone=clinic.zone), dt.time(), tzinfo=clinic.zone
        )
        stale.update(
            Appointment.objects.filter(
                clinic=clinic, status=AppointmentStatus.TENTATIVE, starts_at__lt=midnight
            )
            .exclude(course=None)
            .exclude(course__status__in=CLOSED_COURSES)
            .values_list("course_id", flat=True)
            .distinct()[:CHUNK]
        )
    for course_id in sorted(stale):
        course_replan(course=Course(pk=course_id), notify=True)
    return len(stale)


def protocol_problem(clinic: Clinic) -> str | None:
    """Why the planner cannot use the clinic's (unsaved) settings, or None.

    Plans a reference course with them: the engine's own validation says what it cannot use.
    """
    today = timezone.localdate(timezone=clinic.zone)
    try:
        protocol = clinic_protocol(clinic)
        timeline.plan(
            timeline.CourseInput(
                source=timeline.Source.BONE_MARROW,
                route=timeline.Route.INTRAUTERINE,
                planned_infusions=protocol.max_infusions,
                not_before=today,
                period_starts=(today,),
                open_weekdays=clinic.open_weekday_numbers,
                protocol=protocol,
            )
        )
    except timeline.InvalidCourse as error:
        return str(error)
    except timeline.PlanRefused:
        return None  # a reference course the calendar cannot hold says nothing of the settings
    except (TypeError, ValueError) as error:
        return f"These settings cannot be used: {error}"
    return None
