"""What the booking page offers: the step's allowed days with the planned day first, the free
times of the chosen day by room and clinician, and the next days with room when a day is full.

The allowed days are ``selectors.allowed_days`` (the rule the booking service checks too); the
free times are ``services.slots.free_slots``, from now on, so nothing in the past is offered.
"""

import datetime as dt
from dataclasses import dataclass, field

from scheduling.models import Appointment
from scheduling.selectors import allowed_days
from scheduling.services import slots

NEXT_DAYS_SHOWN = 3


@dataclass(frozen=True)
class DayOffer:
    day: dt.date
    free: int  # free times that day
    planned: bool  # the day the plan (or the booking) has the visit on
    chosen: bool


@dataclass(frozen=True)
class FreeLine:
    """One room's or clinician's free start times on the chosen day, as ranges."""

    who: str
    ranges: list[str]


@dataclass(frozen=True)
class BookingChoice:
    days: list[DayOffer]  # the planned day first, then the others in order
    chosen: dt.date | None
    slots: list[slots.Slot]  # the chosen day's free times
    full: str = ""  # why the chosen (or planned) day has no free time
    next_days: list[DayOffer] = field(default_factory=list)
    by_room: list[FreeLine] = field(default_factory=list)
    by_clinician: list[FreeLine] = field(default_factory=list)


def choose(appointment: Appointment, requested: str, *, now: dt.datetime) -> BookingChoice:
    clinic = appointment.clinic
    zone = clinic.zone
    days = allowed_days.allowed_days(appointment)
    free = slots.free_slots(
        clinic=clinic,
        days=days,
        kind=appointment.kind,
        patient_id=appointment.patient_id,
        exclude_pk=appointment.pk,
        not_before=now,
    )
    by_day: dict[dt.date, list[slots.Slot]] = {}
    for slot in free:
        by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    planned = appointment.starts_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    try:
        asked = dt.date.fromisoformat(requested) if requested else None
    except ValueError:
        asked = None
    full = ""
    if asked in days:
        chosen = asked
    elif planned in days and (by_day.get(planned) or planned != today):
        chosen = planned
    else:
        # The planned day is not allowed, or it is today and today's hours are over.
        chosen = next((day for day in days if day >= planned and by_day.get(day)), None)
        chosen = chosen or next((day for day in days if by_day.get(day)), None)
        if planned == today and planned in days:
            over = now.astimezone(zone).time() >= clinic.closes_at
            full = (
                f"Today's opening hours are over (the clinic closes at {clinic.closes_at:%H:%M})"
                if over
                else "No free time is left today"
            ) + ": the next open day with room is chosen instead."
    next_days: list[DayOffer] = []
    if chosen is not None and not by_day.get(chosen):
        full = f"{chosen:%a %-d %b %Y} is full: no room, clinician and time are free together."
        next_days = [
            DayOffer(day, len(by_day[day]), day == planned, False)
            for day in days
            if day > chosen and by_day.get(day)
        ][:NEXT_DAYS_SHOWN]
    ordered = sorted(days, key=lambda day: (day != planned, day))
    offers = [
        DayOffer(day, len(by_day.get(day, [])), day == planned, day == chosen) for day in ordered
    ]
    chosen_slots = by_day.get(chosen, []) if chosen else []
    return BookingChoice(
        days=offers,
        chosen=chosen,
        slots=chosen_slots,
        full=full,
        next_days=next_days,
        by_room=_lines(chosen_slots, slots.rooms_for(clinic, appointment.kind), "room_ids", zone),
        by_clinician=_lines(chosen_slots, slots.clinic_clinicians(clinic), "clinician_ids", zone),
    )


def _lines(day_slots: list[slots.Slot], people, attribute: str, zone) -> list[FreeLine]:
    """Each room's (or clinician's) free start times as ranges: "08:00 to 11:30"."""
    if not day_slots:
        return []
    step = dt.timedelta(minutes=slots.SLOT_STEP_MINUTES)
    lines = []
    for who in people:
        starts = [slot.starts_at for slot in day_slots if who.pk in getattr(slot, attribute)]
        ranges: list[list[dt.datetime]] = []
        for start in starts:
            if ranges and start - ranges[-1][1] == step:
                ranges[-1][1] = start
            else:
                ranges.append([start, start])
        text = [
            f"{a.astimezone(zone):%H:%M}"
            if a == b
            else f"{a.astimezone(zone):%H:%M} to {b.astimezone(zone):%H:%M}"
            for a, b in ranges
        ]
        lines.append(FreeLine(str(who), text))
    return lines
