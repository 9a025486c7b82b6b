"""Today (or any day): the day's visits by room, printable, and what needs attention now.
Lab staff land on batches."""

import datetime as dt
from itertools import groupby

from django.shortcuts import redirect, render
from django.utils import timezone

from scheduling import policy
from scheduling.selectors.appointments import appointments_on_day
from scheduling.selectors.attention import attention_for
from scheduling.timeline.steps import label, sentence

# The day picker's reach: far enough for any course, near enough to be a real date.
REACH = dt.timedelta(days=3 * 366)


def _day(request, today: dt.date) -> tuple[dt.date, str]:
    """The day asked for (``?day=YYYY-MM-DD``), or today with a sentence saying why not."""
    asked = request.GET.get("day", "").strip()
    if not asked:
        return today, ""
    try:
        day = dt.date.fromisoformat(asked)
    except ValueError:
        return today, "That is not a date; showing today."
    if abs(day - today) > REACH:
        return today, "Choose a day within three years of today; showing today."
    return day, ""


def _visit_name(appointment) -> str:
    """ "Infusion 2", "The ultrasound after infusion 1"; else the kind ("Cell harvest")."""
    if appointment.step_key.rpartition("-")[2].isdigit():
        return sentence(label(appointment.step_key))
    return appointment.get_kind_display()


def today(request):
    if not policy.allowed(request, policy.Action.VIEW_PATIENTS) and policy.allowed(
        request, policy.Action.VIEW_BATCHES
    ):
        return redirect("batch-list")
    policy.require(request, policy.Action.VIEW_PATIENTS)
    clinic = request.clinic
    current = timezone.localdate(timezone=clinic.zone)
    day, day_error = _day(request, current)
    appointments = list(appointments_on_day(clinic=clinic, day=day))
    for appointment in appointments:
        appointment.visit_name = _visit_name(appointment)
    by_room = [
        (room_name or "No room yet", list(group))
        for room_name, group in groupby(appointments, key=lambda a: a.room.name if a.room else "")
    ]
    return render(
        request,
        "scheduling/today.html",
        {
            "day": day,
            "is_today": day == current,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "day_error": day_error,
            "printed_at": timezone.localtime(timezone=clinic.zone),
            "appointments": appointments,
            "by_room": by_room,
            "attention": attention_for(clinic=clinic),
            "can_book": policy.allowed(request, policy.Action.BOOK),
        },
    )
