"""Free times for a visit: the clinic's opening hours cut into slots, minus what is taken."""

import datetime as dt
from dataclasses import dataclass

from scheduling.models import (
    ACTIVE_STATUSES,
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    Clinic,
    Membership,
    Role,
    Room,
    User,
)

SLOT_STEP_MINUTES = 15
CLINICIAN_ROLES = (Role.PHYSICIAN,)


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_ids: tuple[int, ...]
    clinician_ids: tuple[int, ...]


def visit_duration(kind: str) -> dt.timedelta:
    return dt.timedelta(minutes=VISIT_MINUTES[kind])


def is_open_day(clinic: Clinic, day: dt.date, closed: frozenset[dt.date]) -> bool:
    return day.weekday() in clinic.open_weekday_numbers and day not in closed


def within_opening_hours(clinic: Clinic, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    start, end = starts_at.astimezone(clinic.zone), ends_at.astimezone(clinic.zone)
    return (
        start.date() == end.date()
        and start.time() >= clinic.opens_at
        and end.time() <= clinic.closes_at
    )


def clinic_rooms(clinic: Clinic):
    return Room.objects.filter(clinic=clinic, is_active=True).order_by("name")


def rooms_for(clinic: Clinic, kind: str) -> list[Room]:
    """The rooms in use that hold this kind of visit."""
    return [room for room in clinic_rooms(clinic) if room.serves(kind)]


def visits_held(room: Room) -> str:
    return kinds_text(room.visit_kinds)


def kinds_text(visit_kinds: list[str]) -> str:
    """ "Ultrasound, Follow-up", or "Every visit": what a room takes, in words."""
    if not visit_kinds:
        return "Every visit"
    return ", ".join(str(label) for value, label in AppointmentKind.choices if value in visit_kinds)


def room_problem(appointment: Appointment) -> str:
    """Why a booked visit's room no longer takes it ("" when it does)."""
    room = appointment.room
    if room is None:
        return ""
    if not room.is_active:
        return f"Room {room} is out of use."
    if not room.serves(appointment.kind):
        return f"Room {room} is no longer used for {kind_plural(appointment)}."
    return ""


def kind_plural(appointment: Appointment) -> str:
    """ "infusions", "embryo transfers": the visit's kind in a sentence."""
    return f"{appointment.get_kind_display().lower()}s"


def clinic_clinicians(clinic: Clinic):
    """Staff who carry out visits: the clinic's physicians."""
    user_ids = Membership.objects.filter(clinic=clinic, role__in=CLINICIAN_ROLES).values("user")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("last_name", "first_name")


def day_starts(clinic: Clinic, day: dt.date, duration: dt.timedelta) -> list[dt.datetime]:
    """Every slot start on `day` (clinic zone) that ends by closing time."""
    zone = clinic.zone
    start = dt.datetime.combine(day, clinic.opens_at, tzinfo=zone)
    last = dt.datetime.combine(day, clinic.closes_at, tzinfo=zone) - duration
    step = dt.timedelta(minutes=SLOT_STEP_MINUTES)
    starts = []
    while start <= last:
        starts.append(start)
        start += step
    return starts


def free_slots(
    *,
    clinic: Clinic,
    days: list[dt.date],
    kind: str,
    patient_id: int,
    exclude_pk: int | None = None,
    not_before: dt.datetime | None = None,
) -> list[Slot]:
    """Slots on `days` where the patient is free and at least one room and clinician are."""
    if not days:
        return []
    duration = visit_duration(kind)
    room_ids = tuple(room.pk for room in rooms_for(clinic, kind))
    clinician_ids = tuple(clinic_clinicians(clinic).values_list("pk", flat=True))
    zone = clinic.zone
    range_start = dt.datetime.combine(min(days), dt.time.min, tzinfo=zone)
    range_end = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    taken = list(
        Appointment.objects.filter(
            clinic=clinic,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=range_end,
            ends_at__gt=range_start,
        )
        .exclude(pk=exclude_pk)
        .values_list("starts_at", "ends_at", "room_id", "clinician_id", "patient_id")
    )
    slots = []
    for day in sorted(days):
        for start in day_starts(clinic, day, duration):
            if not_before is not None and start < not_before:
                continue
            end = start + duration
            busy = [row for row in taken if row[0] < end and row[1] > start]
            if any(row[4] == patient_id for row in busy):
                continue
            rooms = tuple(pk for pk in room_ids if all(row[2] != pk for row in busy))
            clinicians = tuple(pk for pk in clinician_ids if all(row[3] != pk for row in busy))
            if rooms and clinicians:
                slots.append(Slot(start, end, rooms, clinicians))
    return slots
