from itertools import groupby

from django.shortcuts import render
from django.utils import timezone

from scheduling import policy
from scheduling.selectors.appointments import appointments_on_day


def today(request):
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
        {"day": day, "appointments": appointments, "by_room": by_room},
    )
