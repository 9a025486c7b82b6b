"""Appointment writes: book, move, confirm, cancel, no-show.

Each write is one transaction that starts by locking the clinic's row. Two coordinators who
book the same free slot at once then queue behind each other and the second one sees the first
booking: locking only the overlapping appointments (done too) cannot lock a slot that is still
empty. On SQLite the IMMEDIATE transaction mode serialises writers in the same way.
"""

import datetime as dt

from django.db import transaction

from scheduling import timeline
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Clinic,
    Room,
    User,
)
from scheduling.selectors.courses import course_input
from scheduling.services import reminders, slots
from scheduling.services.recording import replan_after_fact


class AppointmentRefused(Exception):
    """A write the rules do not allow; ``str(error)`` is a sentence for the coordinator."""

    http_status = 422


class SlotTaken(AppointmentRefused):
    """The room, the clinician or the patient is busy at that time."""

    http_status = 409


def _sync_reminders(appointment: Appointment) -> None:
    reminders.reminders_sync(appointment=appointment)


def _locked(appointment: Appointment) -> Appointment:
    list(Clinic.objects.select_for_update().filter(pk=appointment.clinic_id).values_list("pk"))
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "course", "patient")
        .get(pk=appointment.pk)
    )


def _time_reasons(appointment: Appointment, starts_at: dt.datetime, ends_at: dt.datetime):
    clinic = appointment.clinic
    reasons = []
    if ends_at <= starts_at:
        reasons.append("An appointment must end after it starts.")
    elif not slots.within_opening_hours(clinic, starts_at, ends_at):
        reasons.append(
            f"The clinic is open {clinic.opens_at:%H:%M} to {clinic.closes_at:%H:%M}; "
            "the visit must fit inside those hours."
        )
    day = starts_at.astimezone(clinic.zone).date()
    if appointment.course_id and appointment.step_key:
        try:
            reasons += timeline.check_step_date(
                course_input(appointment.course), appointment.step_key, day
            )
        except KeyError:
            reasons.append("This step is no longer in the course's plan; refresh the calendar.")
        except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
            reasons.append(str(refusal))
    else:
        closed = frozenset(clinic.closed_dates.filter(date=day).values_list("date", flat=True))
        if not slots.is_open_day(clinic, day, closed):
            reasons.append(f"The clinic is closed on {day:%A %-d %B %Y}.")
    return reasons


def _check_free(
    appointment: Appointment,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room_id: int | None,
    clinician_id: int | None,
) -> None:
    busy = list(
        Appointment.objects.select_for_update()
        .filter(
            clinic_id=appointment.clinic_id,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=appointment.pk)
        .values_list("room_id", "clinician_id", "patient_id")
    )
    if room_id is not None and any(row[0] == room_id for row in busy):
        raise SlotTaken("That room is already booked at that time.")
    if clinician_id is not None and any(row[1] == clinician_id for row in busy):
        raise SlotTaken("The clinician already has a visit at that time.")
    if any(row[2] == appointment.patient_id for row in busy):
        raise SlotTaken("The patient already has another visit at that time.")


def _place(appointment: Appointment, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if appointment.status not in ACTIVE_STATUSES:
        raise AppointmentRefused(
            f"A {appointment.get_status_display().lower()} appointment cannot be moved."
        )
    reasons = _time_reasons(appointment, starts_at, ends_at)
    if reasons:
        raise AppointmentRefused(" ".join(dict.fromkeys(reasons)))
    _check_free(appointment, starts_at, ends_at, appointment.room_id, appointment.clinician_id)
    if starts_at != appointment.starts_at or ends_at != appointment.ends_at:
        appointment.version += 1
    appointment.starts_at, appointment.ends_at = starts_at, ends_at


def _save(appointment: Appointment) -> Appointment:
    appointment.full_clean()
    appointment.save()
    _sync_reminders(appointment)
    return appointment


def appointment_book(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    room: Room,
    clinician: User,
    actor: User | None = None,
) -> Appointment:
    """A tentative step (or a booked visit being re-booked) gets its time, room and clinician.

    The booked day is the clinic's choice: the course's later steps are planned from it.
    """
    with transaction.atomic():
        appointment = _locked(appointment)
        if room.clinic_id != appointment.clinic_id or not room.is_active:
            raise AppointmentRefused("Choose one of this clinic's rooms.")
        if not slots.clinic_clinicians(appointment.clinic).filter(pk=clinician.pk).exists():
            raise AppointmentRefused("Choose one of this clinic's physicians.")
        appointment.room, appointment.clinician = room, clinician
        _place(appointment, starts_at, starts_at + slots.visit_duration(appointment.kind))
        appointment.status = AppointmentStatus.BOOKED
        appointment.uncertainty_days = 0
        _save(appointment)
    _replan_later_steps(appointment)
    return appointment


def appointment_move(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    actor: User | None = None,
) -> Appointment:
    """Move (or resize) a visit; refused with the reason when the engine or the rooms say no.

    The chosen day is pinned: re-plans keep it while it still fits the rules, and the course's
    later tentative steps are planned from it, starting now.
    """
    with transaction.atomic():
        appointment = _locked(appointment)
        ends_at = ends_at or starts_at + (appointment.ends_at - appointment.starts_at)
        _place(appointment, starts_at, ends_at)
        appointment.pinned = True
        _save(appointment)
    _replan_later_steps(appointment)
    return appointment


def _replan_later_steps(appointment: Appointment) -> None:
    # No "your dates changed" email: the visit's own reminders carry its new time, and the
    # coordinator may still be trying days; later visits are told when they are booked.
    if appointment.course_id:
        replan_after_fact([appointment.course], notify=False)


def appointment_confirm(*, appointment: Appointment, actor: User | None = None) -> Appointment:
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            raise AppointmentRefused("Only a booked appointment can be confirmed.")
        appointment.status = AppointmentStatus.CONFIRMED
        return _save(appointment)


def _close(appointment: Appointment, status: str, allowed: tuple[str, ...]) -> Appointment:
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in allowed:
            raise AppointmentRefused(
                f"This appointment is {appointment.get_status_display().lower()} already."
            )
        appointment.status = status
        _save(appointment)
    if appointment.course_id:
        # The step still has to happen: the re-plan gives it a new tentative visit.
        replan_after_fact([appointment.course])
    return appointment


def appointment_cancel(*, appointment: Appointment, actor: User | None = None) -> Appointment:
    return _close(appointment, AppointmentStatus.CANCELLED, tuple(ACTIVE_STATUSES))


def appointment_mark_no_show(*, appointment: Appointment, actor: User | None = None) -> Appointment:
    return _close(
        appointment,
        AppointmentStatus.NO_SHOW,
        (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED),
    )
