"""A course's whole life (DESIGN.md §2 point 9): transfer and outcome records, and the course's
status following them.

Statuses follow the facts: planning → active → responded / non-responder (the plan's decision,
``services.planning``) → transferred → pregnant → completed, or closed by a person (cancelled
by the clinic with a reason, withdrawn by the patient, lost to follow-up).

* Recording an outcome locks the clinic, the course and its appointments (``services.locks``),
  saves the row (audited) and derives the status from every outcome of the course, in one
  transaction. A second submit of the same fact on the same day changes nothing.
* A positive pregnancy test (or a clinical pregnancy) makes the course *pregnant*: planning
  from her cycles stops. Its tentative visits are cancelled (held: not planned while
  pregnant), booked follow-ups are flagged, and no "has your period started?" request stays
  pending. A miscarriage or an ectopic pregnancy ends that: the course is *transferred*
  again and re-plans.
* A live birth completes the course. A completed or closed course cancels its future visits
  and their reminders, and tells the patient once (one "your dates changed" email listing the
  visits no longer needed: no diagnosis). A reopened course re-plans.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    CLINICAL_KINDS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseOutcome,
    CourseStatus,
    OutcomeKind,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.services import doses, locks, reminders
from scheduling.services.planning import CLOSED_COURSES, LIVE, course_replan
from scheduling.services.recording import Recorded, plausible_date, set_done_on

# The statuses a person closes a course with (a live birth completes it by itself).
CLOSING = (
    CourseStatus.COMPLETED,
    CourseStatus.CANCELLED,
    CourseStatus.WITHDRAWN,
    CourseStatus.LOST_TO_FOLLOW_UP,
)
PREGNANCY_ENDED = (OutcomeKind.MISCARRIAGE, OutcomeKind.ECTOPIC)
# Clinic.follow_ups_in_pregnancy: "hold" (planned again when the pregnancy ends) or "drop".
FOLLOW_UPS_DROPPED = "drop"
DROPPED_IN_PREGNANCY = (
    "Dropped: the clinic plans no follow-ups after a pregnancy (confirmed on {on:%a %-d %b %Y})."
)
# What each kind needs, beyond its date.
NEEDS = {
    OutcomeKind.TRANSFER: ("embryos", "embryo_stage", "transfer_type"),
    OutcomeKind.PREGNANCY_TEST: ("beta_hcg", "positive"),
    OutcomeKind.CLINICAL_PREGNANCY: ("heartbeat", "sacs"),
    OutcomeKind.MISCARRIAGE: ("weeks",),
    OutcomeKind.ECTOPIC: (),
    OutcomeKind.LIVE_BIRTH: ("weeks", "babies"),
}


def derived_status(outcomes: list[CourseOutcome]) -> str | None:
    """The status the recorded outcomes say, in date order (None: none says anything)."""
    status = None
    for outcome in sorted(outcomes, key=lambda o: (o.occurred_on, o.pk or 0)):
        kind = outcome.kind
        if kind == OutcomeKind.TRANSFER:
            status = CourseStatus.TRANSFERRED
        elif kind == OutcomeKind.PREGNANCY_TEST:
            status = CourseStatus.PREGNANT if outcome.positive else CourseStatus.TRANSFERRED
        elif kind == OutcomeKind.CLINICAL_PREGNANCY:
            status = CourseStatus.PREGNANT
        elif kind in PREGNANCY_ENDED:
            status = CourseStatus.TRANSFERRED
        elif kind == OutcomeKind.LIVE_BIRTH:
            status = CourseStatus.COMPLETED
    return status


def transfer_record(
    *, course: Course, on: dt.date, embryos: int, embryo_stage: str, transfer_type: str,
    recorded_by=None, note: str = "",
) -> Recorded:  # fmt: skip
    """The embryo transfer was done (a coordinator records it); its visit is marked done."""
    fields = {"embryos": embryos, "embryo_stage": embryo_stage, "transfer_type": transfer_type}
    return outcome_record(
        course=course, kind=OutcomeKind.TRANSFER, on=on, recorded_by=recorded_by, note=note,
        **fields,
    )  # fmt: skip


def outcome_record(
    *, course: Course, kind: str, on: dt.date, recorded_by=None, note: str = "", **fields
) -> Recorded:
    """Record one outcome of ``kind`` on day ``on``; the course's status follows."""
    if kind not in NEEDS:
        raise ValidationError({"kind": "Choose what happened."})
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        appointments = locks.locked_appointments(course)
        zone = course.clinic.zone
        if course.status in CLOSED_COURSES:
            raise ValidationError(
                f"This course is {course.get_status_display().lower()}; reopen it first."
            )
        plausible_date(on, zone, "on", "The day it happened", future_allowed=False)
        missing = [name for name in NEEDS[kind] if fields.get(name) in (None, "")]
        if missing:
            raise ValidationError(dict.fromkeys(missing, "Required for this outcome."))
        outcomes = list(course.outcomes.all())
        same = [o for o in outcomes if o.kind == kind and o.occurred_on == on]
        if same:
            return Recorded(notes=[f"{same[0]} is already recorded; nothing changed."])
        values = {name: fields.get(name) for name in NEEDS[kind]}
        values["pregnancy_test"] = _check_order(kind, on, outcomes)
        if kind == OutcomeKind.PREGNANCY_TEST and Decimal(values["beta_hcg"]) < 0:
            raise ValidationError({"beta_hcg": "β-hCG cannot be negative."})
        outcome = CourseOutcome(
            course=course, kind=kind, occurred_on=on, note=note, recorded_by=recorded_by, **values
        )
        outcome.full_clean(exclude=["course", "recorded_by", "pregnancy_test"])
        outcome.save()
        if kind == OutcomeKind.TRANSFER:
            _transfer_visit_done(course, appointments, on)
        recorded = _follow_status(course, appointments, [*outcomes, outcome], on)
        recorded.notes.insert(0, f"{outcome} recorded.")
        return recorded


def _check_order(kind: str, on: dt.date, outcomes: list[CourseOutcome]) -> CourseOutcome | None:
    """What a clinical outcome needs before it; a live birth's positive test (returned)."""
    if kind == OutcomeKind.TRANSFER:
        return None
    transfers = [o for o in outcomes if o.kind == OutcomeKind.TRANSFER and o.occurred_on <= on]
    if not transfers:
        raise ValidationError({"on": "Record the embryo transfer (on or before this day) first."})
    if kind == OutcomeKind.PREGNANCY_TEST:
        return None
    positive = [
        o
        for o in outcomes
        if o.kind == OutcomeKind.PREGNANCY_TEST and o.positive and o.occurred_on <= on
    ]
    if not positive:
        raise ValidationError(
            {"on": "A positive pregnancy test must be recorded on or before this day first."}
        )
    return positive[-1] if kind == OutcomeKind.LIVE_BIRTH else None


def _transfer_visit_done(course: Course, appointments: list[Appointment], on: dt.date) -> None:
    """The transfer's visit (the transfer window's) took place on ``on``."""
    for appointment in appointments:
        if appointment.kind == AppointmentKind.EMBRYO_TRANSFER and appointment.status in LIVE:
            set_done_on(appointment, on, course.clinic.zone)
            return


def _follow_status(
    course: Course, appointments: list[Appointment], outcomes: list[CourseOutcome], on: dt.date
) -> Recorded:
    """Set the status the outcomes say and do what it asks of the visits."""
    status = derived_status(outcomes)
    if status is None or status == course.status:
        return Recorded()
    was = course.status
    _set_status(course, status, on if status == CourseStatus.COMPLETED else None)
    if status == CourseStatus.COMPLETED:
        return _end_visits(course, appointments, "The course is complete.")
    if status == CourseStatus.PREGNANT:
        return _hold_visits(course, appointments, on)
    if was == CourseStatus.PREGNANT:  # the pregnancy ended: planning from her cycles again
        _restore_held(appointments)
    return _replan(course)


def _set_status(course: Course, status: str, closed_on: dt.date | None, reason: str = "") -> None:
    course.status = status
    course.closed_on = closed_on
    course.closed_reason = reason
    course.save(update_fields=["status", "closed_on", "closed_reason", "updated_at"])


def _replan(course: Course) -> Recorded:
    result = course_replan(course=course)
    recorded = Recorded(replans=[result])
    if result.problem:
        recorded.problems.append(result.problem)
    return recorded


def _future(appointments: list[Appointment]) -> list[Appointment]:
    now = timezone.now()
    return [a for a in appointments if a.status in LIVE and a.starts_at > now]


def _cancel(appointment: Appointment, reason: str) -> timeline.Change:
    day = appointment.starts_at.astimezone(appointment.clinic.zone).date()
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason
    appointment.save(update_fields=["status", "cancel_reason", "updated_at"])
    reminders.reminders_sync(appointment=appointment, cd1_requests=False)
    return timeline.Change(appointment.step_key or str(appointment.pk), day, None)


def _end_visits(course: Course, appointments: list[Appointment], reason: str) -> Recorded:
    """Cancel every future visit and its reminders; tell the patient once. A donor-lot dose
    reserved for the course goes back to its lot."""
    course_replan(course=course, notify=False)  # closed: clears a plan problem, plans nothing
    returned = doses.doses_return(course=course, reason=reason)
    changes = [_cancel(appointment, reason) for appointment in _future(appointments)]
    reminders.cd1_requests_sync(patient=course.patient)
    reminders.plan_changes_notify(course=course, changes=changes)
    note = f"{len(changes)} future visit(s) cancelled; the patient is told once." if changes else ""
    notes = [note] if note else []
    notes += [f"{returned} reserved donor-lot dose(s) returned to the lot."] if returned else []
    return Recorded(notes=notes)


def _hold_visits(course: Course, appointments: list[Appointment], on: dt.date) -> Recorded:
    """Pregnant: the re-plan decides (the engine reads the positive test from the outcome
    records): nothing is planned from her cycles from the test's day, so tentative visits are
    cancelled and booked ones flagged for a person (booked means booked). The long-term
    follow-ups follow the clinic's setting: held (planned again when the pregnancy ends) or
    dropped (cancelled, booked ones too, and left out of the course's plan for good)."""
    changes = []
    drop = course.clinic.follow_ups_in_pregnancy == FOLLOW_UPS_DROPPED
    if drop:
        for appointment in _future(appointments):
            if appointment.kind == AppointmentKind.FOLLOW_UP:
                changes.append(_cancel(appointment, DROPPED_IN_PREGNANCY.format(on=on)))
        _drop_follow_ups(course, appointments)
    result = course_replan(course=course, notify=False)
    held = [change for change in result.changes if change.new_date is None]
    changes += result.changes
    reminders.cd1_requests_sync(patient=course.patient)
    reminders.plan_changes_notify(course=course, changes=changes)
    recorded = Recorded(notes=["Planning from her cycles stops while she is pregnant."])
    if drop:
        recorded.notes.append("The follow-ups are dropped (clinic setting).")
    recorded.notes += [f"{len(held)} planned visit(s) held."] if held else []
    if result.flagged:
        recorded.notes.append(f"{len(result.flagged)} booked visit(s) need a decision.")
    if result.problem:
        recorded.problems.append(result.problem)
    return recorded


def _drop_follow_ups(course: Course, appointments: list[Appointment]) -> None:
    """The course's follow-ups not done yet are left out of its plan from now on."""
    done = {a.step_key for a in appointments if a.status == AppointmentStatus.DONE}
    keys = {f"follow-up-{months}" for months in course.clinic.follow_up_month_numbers}
    keys |= {a.step_key for a in appointments if a.kind == AppointmentKind.FOLLOW_UP}
    dropped = {*(course.dropped_steps or ()), *(key for key in keys if key and key not in done)}
    if dropped != set(course.dropped_steps or ()):
        course.dropped_steps = sorted(dropped)
        course.save(update_fields=["dropped_steps", "updated_at"])


def _restore_held(appointments: list[Appointment]) -> None:
    for appointment in appointments:
        if appointment.rebooking_reason.startswith("Pregnancy confirmed on"):
            appointment.rebooking_reason = ""
            appointment.save(update_fields=["rebooking_reason", "updated_at"])


def course_close(*, course: Course, status: str, reason: str = "", on: dt.date | None = None,
                 recorded_by=None) -> Recorded:  # fmt: skip
    """A person closes the course: completed, cancelled by the clinic (a reason is required),
    withdrawn by the patient, or lost to follow-up (also kept as an outcome record)."""
    if status not in CLOSING:
        raise ValidationError({"status": "Choose how the course ends."})
    reason = reason.strip()
    if status == CourseStatus.CANCELLED and not reason:
        raise ValidationError({"reason": "Say why the clinic cancels the course."})
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        appointments = locks.locked_appointments(course)
        today = timezone.localdate(timezone=course.clinic.zone)
        on = on or today
        plausible_date(on, course.clinic.zone, "on", "The day it ended", future_allowed=False)
        if course.status in CLOSED_COURSES:
            return Recorded(notes=[f"The course is already {course.get_status_display()}."])
        if status == CourseStatus.LOST_TO_FOLLOW_UP:
            CourseOutcome.objects.get_or_create(
                course=course,
                kind=OutcomeKind.LOST_TO_FOLLOW_UP,
                occurred_on=on,
                defaults={"recorded_by": recorded_by, "note": reason[:200]},
            )
        _set_status(course, status, on, reason)
        recorded = _end_visits(course, appointments, f"Course {course.get_status_display()}.")
        recorded.notes.insert(0, f"Course closed: {course.get_status_display()}.")
        return recorded


def course_reopen(*, course: Course) -> Recorded:
    """A closed course is open again: its status follows its outcomes and it re-plans."""
    with transaction.atomic():
        course = locks.lock_course(course.pk, course.clinic_id)
        if course.status not in CLOSED_COURSES:
            return Recorded(notes=["The course is open."])
        status = derived_status(list(course.outcomes.all()))
        if status == CourseStatus.COMPLETED:
            raise ValidationError("A live birth is recorded: the course stays complete.")
        _set_status(course, status or CourseStatus.PLANNING, None)
        if status == CourseStatus.PREGNANT:
            reminders.cd1_requests_sync(patient=course.patient)
            return Recorded(notes=["Course reopened; she is pregnant, so nothing is planned."])
        recorded = _replan(course)
        _revive_period_requests(course)
        recorded.notes.insert(0, "Course reopened and re-planned.")
        return recorded


def _revive_period_requests(course: Course) -> None:
    """The period requests the closure cancelled come back for the same expected day (their
    database key allows one row each), one by one so the audit trail sees them."""
    patient = course.patient
    if not reminders.waits_for_period(patient):
        return
    expected = reminders.expected_period_start(patient)
    cancelled = Reminder.objects.filter(
        patient=patient,
        kind=ReminderKind.CD1_REQUEST,
        status=ReminderStatus.CANCELLED,
        expected_on=expected,
        due_at__gt=timezone.now(),
    )
    for row in cancelled:
        row.status = ReminderStatus.PENDING
        row.save(update_fields=["status", "updated_at"])
    reminders.cd1_requests_sync(patient=patient)


def clinical(kind: str) -> bool:
    """Whether only a physician records this kind."""
    return kind in CLINICAL_KINDS
