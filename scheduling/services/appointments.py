"""Appointment writes a person makes: book, move, keep, confirm, cancel, no-show.

Each write is one transaction that takes the locks in the one order (``services.locks``:
clinic, course, appointment), checks, writes, and re-plans the course's later steps, whose
problems it returns. Two coordinators who book the same free slot at once queue behind the
clinic's lock and the second one sees the first booking. Booking or moving clears a visit's
"needs re-booking" flag: a person chose its day. Nothing can be booked or moved into the past.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Room,
    User,
)
from scheduling.selectors.allowed_days import day_reasons, day_rules
from scheduling.selectors.consent import GATED_KINDS, consent_refusal, step_action
from scheduling.selectors.courses import course_facts
from scheduling.services import locks, reminders, slots
from scheduling.services.recording import Recorded, replan_after_fact

BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
# What a person's write changes on a locked appointment (nothing else is saved over).
PERSON_FIELDS = [
    "status",
    "starts_at",
    "ends_at",
    "room",
    "clinician",
    "version",
    "pinned",
    "uncertainty_days",
    "rebooking_reason",
    "kept_despite",
    "cancel_reason",
    "updated_at",
]


class AppointmentRefused(Exception):
    """A write the rules do not allow; ``str(error)`` is a sentence for the coordinator."""

    http_status = 422


class SlotTaken(AppointmentRefused):
    """The room, the clinician or the patient is busy at that time."""

    http_status = 409


def _time_reasons(appointment: Appointment, starts_at: dt.datetime, ends_at: dt.datetime):
    clinic = appointment.clinic
    reasons = []
    if starts_at < timezone.now():
        return ["A visit cannot be booked or moved into the past."]
    if ends_at <= starts_at:
        reasons.append("An appointment must end after it starts.")
    elif not slots.within_opening_hours(clinic, starts_at, ends_at):
        reasons.append(
            f"The clinic is open {clinic.opens_at:%H:%M} to {clinic.closes_at:%H:%M}; "
            "the visit must fit inside those hours."
        )
    # The one day rule the calendar's shading, Move… dialog and booking page show.
    day = starts_at.astimezone(clinic.zone).date()
    return reasons + day_reasons(day_rules(appointment), day)


def _check_free(
    appointment: Appointment,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room_id: int | None,
    clinician_id: int | None,
) -> None:
    busy = list(
        Appointment.objects.filter(
            clinic_id=appointment.clinic_id,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=appointment.pk)
        .values_list("room_id", "clinician_id", "patient_id", "status")
    )
    if room_id is not None and any(row[0] == room_id for row in busy):
        raise SlotTaken("That room is already booked at that time.")
    if clinician_id is not None and any(row[1] == clinician_id for row in busy):
        raise SlotTaken("The clinician already has a visit at that time.")
    if any(row[2] == appointment.patient_id and row[3] in BOOKED for row in busy):
        raise SlotTaken("The patient already has another visit at that time.")


def _check_consent(appointment: Appointment, verb: str) -> None:
    """A harvest or an infusion is booked or moved only with consent in force on its course."""
    if appointment.course_id and appointment.kind in GATED_KINDS:
        refusal = consent_refusal(appointment.course, step_action(appointment.kind, verb))
        if refusal:
            raise AppointmentRefused(refusal)


def _place(appointment: Appointment, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if appointment.status not in ACTIVE_STATUSES:
        raise AppointmentRefused(
            f"A {appointment.get_status_display().lower()} appointment cannot be moved."
        )
    if appointment.ends_at <= timezone.now() and appointment.status in BOOKED:
        raise AppointmentRefused(
            "This visit's time has passed: record it as done, a no-show or cancelled."
        )
    reasons = _time_reasons(appointment, starts_at, ends_at)
    if reasons:
        raise AppointmentRefused(" ".join(dict.fromkeys(reasons)))
    _check_free(appointment, starts_at, ends_at, appointment.room_id, appointment.clinician_id)
    if starts_at != appointment.starts_at or ends_at != appointment.ends_at:
        appointment.version += 1
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    # A person chose this day and time: whatever no longer fitted before is settled.
    appointment.rebooking_reason = appointment.kept_despite = ""


def _save_and_replan(appointment: Appointment, *, notify: bool = False) -> Recorded:
    appointment.full_clean()
    try:
        with transaction.atomic():
            appointment.save(update_fields=PERSON_FIELDS)
    except IntegrityError:
        # PostgreSQL's exclusion constraints (migration 0004): the same refusal as the check.
        raise SlotTaken("The room, the clinician or the patient is already booked then.") from None
    reminders.reminders_sync(appointment=appointment)
    if not appointment.course_id:
        return Recorded()
    # No "your dates changed" email on a booking or move: the visit's own reminders carry its
    # new time, and the coordinator may still be trying days.
    return replan_after_fact([appointment.course], notify=notify)


def appointment_book(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    room: Room,
    clinician: User,
    actor: User | None = None,
) -> Recorded:
    """A tentative step (or a booked visit being re-booked) gets its time, room and clinician.

    The booked day is the clinic's choice: the course's later steps are planned from it.
    """
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        _check_consent(appointment, "booking")
        if room.clinic_id != appointment.clinic_id or not room.is_active:
            raise AppointmentRefused("Choose one of this clinic's rooms.")
        if not room.serves(appointment.kind):
            raise AppointmentRefused(
                f"{room} is not used for {slots.kind_plural(appointment)}; choose another room."
            )
        if not slots.clinic_clinicians(appointment.clinic).filter(pk=clinician.pk).exists():
            raise AppointmentRefused("Choose one of this clinic's physicians.")
        appointment.room, appointment.clinician = room, clinician
        _place(appointment, starts_at, starts_at + slots.visit_duration(appointment.kind))
        appointment.status = AppointmentStatus.BOOKED
        appointment.uncertainty_days = 0
        return _save_and_replan(appointment)


def appointment_move(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    actor: User | None = None,
) -> Recorded:
    """Move (or resize) a visit; refused with the reason when the engine or the rooms say no.

    The chosen day is pinned: re-plans keep it while it still fits the rules, and the course's
    later tentative steps are planned from it, starting now.
    """
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        _check_consent(appointment, "moving")
        ends_at = ends_at or starts_at + (appointment.ends_at - appointment.starts_at)
        _place(appointment, starts_at, ends_at)
        appointment.pinned = True
        return _save_and_replan(appointment)


def appointment_confirm(
    *, appointment: Appointment, actor: User | None = None, keep_where_it_stands: bool = True
) -> Appointment:
    """Booked → confirmed. A person confirming a visit flagged "needs re-booking" keeps it
    where it stands (the flag's reason is settled); a patient's confirm link never does."""
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        flagged = bool(appointment.rebooking_reason)
        if appointment.status not in BOOKED or (
            appointment.status == AppointmentStatus.CONFIRMED and not flagged
        ):
            raise AppointmentRefused("Only a booked appointment can be confirmed.")
        if flagged and not keep_where_it_stands:
            raise AppointmentRefused("This visit is being re-booked; the clinic will be in touch.")
        if flagged:
            appointment.kept_despite, appointment.rebooking_reason = (
                appointment.rebooking_reason,
                "",
            )
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.full_clean()
        appointment.save(update_fields=PERSON_FIELDS)
        reminders.reminders_sync(appointment=appointment)
        return appointment


class Then:
    """What happens to a cancelled visit's step."""

    PLAN_AGAIN = "plan-again"
    DROP = "drop"


UNDROPPABLE = {
    AppointmentKind.HARVEST: "The harvest cannot be dropped: the cells come from it.",
    AppointmentKind.ULTRASOUND: (
        "The response ultrasound cannot be dropped: it decides what follows the infusion."
    ),
}


def appointment_cancel(
    *,
    appointment: Appointment,
    reason: str = "",
    then: str = Then.PLAN_AGAIN,
    actor: User | None = None,
) -> Recorded:
    """Cancel a visit, with a reason. ``then``: plan its step again (a new tentative visit),
    or drop the step from the course (an infusion lowers the planned number)."""
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        _closing(appointment, ACTIVE_STATUSES)
        if then == Then.DROP and appointment.course_id and appointment.step_key:
            _drop_step(appointment)
        appointment.cancel_reason = reason.strip()[:200]
        return _close(appointment, AppointmentStatus.CANCELLED)


def appointment_mark_no_show(*, appointment: Appointment, actor: User | None = None) -> Recorded:
    """The patient did not come; the step still has to happen, so it is planned again."""
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        _closing(appointment, BOOKED)
        return _close(appointment, AppointmentStatus.NO_SHOW)


def _closing(appointment: Appointment, allowed) -> None:
    if appointment.status not in allowed:
        raise AppointmentRefused(
            f"This appointment is {appointment.get_status_display().lower()} already."
        )


def _close(appointment: Appointment, status: str) -> Recorded:
    appointment.status = status
    appointment.rebooking_reason = ""
    recorded = _save_and_replan(appointment, notify=True)
    return recorded


def _drop_step(appointment: Appointment) -> None:
    course = appointment.course
    if appointment.kind in UNDROPPABLE:
        raise AppointmentRefused(UNDROPPABLE[appointment.kind])
    if appointment.kind == AppointmentKind.INFUSION:
        done = len(course_facts(course).infusions_done)
        if course.planned_infusions <= max(1, done):
            raise AppointmentRefused(
                "This is the course's last planned infusion; it cannot be dropped."
            )
        course.planned_infusions -= 1
        course.save(update_fields=["planned_infusions", "updated_at"])
        return
    course.dropped_steps = sorted({*(course.dropped_steps or ()), appointment.step_key})
    course.save(update_fields=["dropped_steps", "updated_at"])


def _replacements(appointment: Appointment) -> list[Appointment]:
    """The tentative visits a re-plan made for the step after this visit was closed, locked
    (after the course, which ``lock_appointment`` locked)."""
    if not (appointment.course_id and appointment.step_key):
        return []
    return list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(
            course_id=appointment.course_id,
            step_key=appointment.step_key,
            status=AppointmentStatus.TENTATIVE,
        )
        .exclude(pk=appointment.pk)
        .order_by("pk")
    )


def _undrop(appointment: Appointment) -> None:
    """A step dropped with the cancellation comes back into the course."""
    course = appointment.course
    if appointment.step_key in (course.dropped_steps or ()):
        course.dropped_steps = [key for key in course.dropped_steps if key != appointment.step_key]
        course.save(update_fields=["dropped_steps", "updated_at"])
    elif appointment.kind == AppointmentKind.INFUSION:
        number = int(appointment.step_key.rpartition("-")[2])
        if number > course.planned_infusions:
            course.planned_infusions = number
            course.save(update_fields=["planned_infusions", "updated_at"])


def _revive(appointment: Appointment, status: str) -> Recorded:
    """The closed visit is live again where it was; the visit planned in its place goes."""
    for replacement in _replacements(appointment):
        replacement.status = AppointmentStatus.CANCELLED
        replacement.cancel_reason = "Replaced by the visit it stood in for (undo)."
        replacement.save(update_fields=["status", "cancel_reason", "updated_at"])
        reminders.reminders_sync(appointment=replacement)
    if appointment.course_id and appointment.step_key:
        _undrop(appointment)
    appointment.status = status
    appointment.cancel_reason = ""
    appointment.version += 1
    _check_free(
        appointment,
        appointment.starts_at,
        appointment.ends_at,
        appointment.room_id,
        appointment.clinician_id,
    )
    return _save_and_replan(appointment)


def appointment_restore(*, appointment: Appointment, actor: User | None = None) -> Recorded:
    """Undo a cancellation: the visit is back at its day and time (booked when it had a room
    and a clinician, tentative otherwise) while that time is still to come and its room,
    clinician and patient are free then; the day must still pass the rules."""
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        if appointment.status != AppointmentStatus.CANCELLED:
            raise AppointmentRefused("Only a cancelled visit can be restored.")
        if appointment.starts_at < timezone.now():
            raise AppointmentRefused("This visit's time has passed: book the step again instead.")
        booked = appointment.room_id is not None and appointment.clinician_id is not None
        status = AppointmentStatus.BOOKED if booked else AppointmentStatus.TENTATIVE
        reasons = _time_reasons(appointment, appointment.starts_at, appointment.ends_at)
        if reasons and booked:
            raise AppointmentRefused(" ".join(dict.fromkeys(reasons)))
        return _revive(appointment, status)


def appointment_undo_no_show(*, appointment: Appointment, actor: User | None = None) -> Recorded:
    """Undo a no-show recorded by mistake, on the visit's own day: booked again."""
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        if appointment.status != AppointmentStatus.NO_SHOW:
            raise AppointmentRefused("Only a visit recorded as a no-show can be set back.")
        zone = appointment.clinic.zone
        if appointment.starts_at.astimezone(zone).date() != timezone.localdate(timezone=zone):
            raise AppointmentRefused("A no-show can be undone on the visit's day only.")
        return _revive(appointment, AppointmentStatus.BOOKED)
