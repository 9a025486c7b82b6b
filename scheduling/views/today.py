"""Today: the day's visits by room, and what needs attention. Lab staff land on batches."""

from itertools import groupby

from django.shortcuts import redirect, render
from django.utils import timezone

from scheduling import policy
from scheduling.selectors.appointments import appointments_on_day
from scheduling.selectors.attention import attention_for


def today(request):
    if not policy.allowed(request, policy.Action.VIEW_PATIENTS) and policy.allowed(
        request, policy.Action.VIEW_BATCHES
    ):
        return redirect("batch-list")
    policy.require(request, policy.Action.VIEW_PATIENTS)
    day = timezone.localdate()
    appointments = list(appointments_on_day(clinic=request.clinic, day=day))
    by_room = [
        (room_name or "No room yet", list(group))
        for room_name, group in groupby(appointments, key=lambda a: a.room.name if a.room else "")
    ]
    return render(
        request,
        "scheduling/today.html",
        {
            "day": day,
            "appointments": appointments,
            "by_room": by_room,
            "attention": attention_for(clinic=request.clinic),
            "can_book": policy.allowed(request, policy.Action.BOOK),
        },
    )
