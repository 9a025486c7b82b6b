from itertools import groupby

from django.shortcuts import render
from django.utils import timezone

from scheduling.selectors.appointments import appointments_on_day
from scheduling.views.access import clinic_member_required


@clinic_member_required
def today(request):
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
