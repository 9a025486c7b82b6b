"""The calendar page, its JSON feed for the visible range, and drag-and-drop moves."""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from scheduling import policy
from scheduling.conventions import clinic_conventions
from scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from scheduling.security import loads_bounded, parse_id
from scheduling.selectors.calendar import COLUMNS, KIND_COLOURS, calendar_rows, parse_local
from scheduling.services import slots
from scheduling.services.appointments import AppointmentRefused, appointment_move
from scheduling.timeline import dates

MAX_RANGE = dt.timedelta(days=100)


@require_GET
def calendar_page(request):
    policy.require(request, policy.Action.VIEW_PATIENTS)
    clinic = request.clinic
    return render(
        request,
        "scheduling/calendar.html",
        {
            "rooms": slots.clinic_rooms(clinic),
            "clinicians": slots.clinic_clinicians(clinic),
            "kinds": AppointmentKind.choices,
            "calendar_labels": {
                "kinds": dict(AppointmentKind.choices),
                "statuses": dict(AppointmentStatus.choices),
                "colours": {str(kind): colour for kind, colour in KIND_COLOURS.items()},
            },
            "statuses": AppointmentStatus.choices,
            "can_move": policy.allowed(request, policy.Action.BOOK),
            "events_url": reverse("calendar-events"),
            "move_url": reverse("appointment-move", args=[0]),
            "book_url": reverse("appointment-book", args=[0]),
            "patient_url": reverse("patient-detail", args=[0]),
            "opens_at": f"{clinic.opens_at:%H:%M}",
            "closes_at": f"{clinic.closes_at:%H:%M}",
            "conventions": clinic_conventions(clinic),
        },
    )


@require_GET
def events_json(request):
    policy.require(request, policy.Action.VIEW_PATIENTS)
    zone = request.clinic.zone
    try:
        start = parse_local(request.GET.get("start", ""), zone)
        end = parse_local(request.GET.get("end", ""), zone)
    except ValueError:
        return HttpResponseBadRequest("start and end must be ISO dates, e.g. 2025-03-03.")
    if not start < end <= start + MAX_RANGE:
        return HttpResponseBadRequest("The range must be positive and at most 100 days.")
    try:
        room_id = parse_id(request.GET.get("room"))
        clinician_id = parse_id(request.GET.get("clinician"))
    except ValueError:
        return HttpResponseBadRequest("room and clinician must be ids.")
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    rows = calendar_rows(
        clinic=request.clinic,
        start=start,
        end=end,
        room_id=room_id,
        clinician_id=clinician_id,
        kind=kind if kind in AppointmentKind.values else "",
        status=status if status in AppointmentStatus.values else "",
    )
    body = json.dumps({"columns": COLUMNS, "rows": rows}, separators=(",", ":"))
    return HttpResponse(body, content_type="application/json")


@require_POST
def move(request, pk: int):
    appointment = policy.get_for(
        request, Appointment.objects.select_related("clinic"), policy.Action.BOOK, pk=pk
    )
    zone = request.clinic.zone
    try:
        data = loads_bounded(request.body or b"{}")
        starts_at = parse_local(str(data["start"]), zone)
        ends_at = parse_local(str(data["end"]), zone) if data.get("end") else None
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "Send the new start (and end) as ISO times."}, status=400)
    try:
        for moment in (starts_at, ends_at or starts_at):
            dates.check_plausible(moment.date(), timezone.localdate(timezone=zone), "The new day")
    except dates.DateOutOfRange as refusal:
        return JsonResponse({"error": str(refusal)}, status=422)
    try:
        recorded = appointment_move(
            appointment=appointment, starts_at=starts_at, ends_at=ends_at, actor=request.user
        )
    except AppointmentRefused as refusal:
        return JsonResponse({"error": str(refusal)}, status=refusal.http_status)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=422)
    appointment.refresh_from_db(fields=["starts_at", "version"])
    local = appointment.starts_at.astimezone(zone)
    return JsonResponse(
        {
            "ok": True,
            "message": " ".join([f"Moved to {local:%A %-d %B %Y, %H:%M}.", *recorded.sentences()]),
            "problems": recorded.problems,
            "version": appointment.version,
        }
    )
