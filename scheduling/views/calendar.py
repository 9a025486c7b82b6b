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
from scheduling.selectors import allowed_days
from scheduling.selectors.calendar import COLUMNS, KIND_COLOURS, calendar_rows, parse_local
from scheduling.selectors.courses import clinic_closed_dates
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
                # Shaded whatever is dragged: closed dates and weekdays (FullCalendar counts
                # weekdays from Sunday = 0).
                "closed": sorted(f"{day}" for day in clinic_closed_dates(clinic)),
                "openWeekdays": sorted((n + 1) % 7 for n in clinic.open_weekday_numbers),
            },
            "statuses": AppointmentStatus.choices,
            "can_move": policy.allowed(request, policy.Action.BOOK),
            "events_url": reverse("calendar-events"),
            "move_url": reverse("appointment-move", args=[0]),
            "allowed_days_url": reverse("appointment-allowed-days", args=[0]),
            "free_times_url": reverse("appointment-free-times", args=[0]),
            "cancel_url": reverse("appointment-cancel", args=[0]),
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


def _movable(request, pk: int) -> Appointment:
    return policy.get_for(
        request,
        Appointment.objects.select_related("clinic", "course", "patient", "room", "clinician"),
        policy.Action.BOOK,
        pk=pk,
    )


def _bad(sentence: str) -> JsonResponse:
    return JsonResponse({"error": sentence}, status=400)


@require_GET
def allowed_days_json(request, pk: int):
    """The days a visit may go to in [start, end) (default: its step's window from today on),
    each refused day with why: what the calendar shades while the visit is dragged and what
    the Move… dialog offers. A fixed number of queries whatever the range."""
    appointment = _movable(request, pk)
    rules = allowed_days.day_rules(appointment)
    try:
        if request.GET.get("start") and request.GET.get("end"):
            first = dt.date.fromisoformat(request.GET["start"][:10])
            end = dt.date.fromisoformat(request.GET["end"][:10])
            dates.check_absolute(first)
            dates.check_absolute(end)
            found = (first, end - dt.timedelta(days=1))
        else:
            found = allowed_days.default_range(rules)
    except (ValueError, OverflowError):
        return _bad("start and end must be ISO dates, e.g. 2026-12-07.")
    if found is not None and not found[0] <= found[1] < found[0] + MAX_RANGE:
        return _bad("The range must be positive and at most 100 days.")
    verdicts = allowed_days.day_verdicts(rules, *found) if found else []
    zone = request.clinic.zone
    return JsonResponse(
        {
            "current": f"{appointment.starts_at.astimezone(zone).date()}",
            "days": [
                {
                    "date": f"{verdict.day}",
                    "label": f"{verdict.day:%a %-d %b %Y}",
                    "allowed": verdict.allowed,
                    "why": verdict.why,
                }
                for verdict in verdicts
            ],
        }
    )


@require_GET
def free_times_json(request, pk: int):
    """The free times on one allowed day for this visit: its own room and clinician when it
    has them (a move keeps them), otherwise any free room and physician."""
    appointment = _movable(request, pk)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
        dates.check_absolute(day)
    except ValueError:
        return _bad("day must be an ISO date, e.g. 2026-12-08.")
    rules = allowed_days.day_rules(appointment)
    (verdict,) = allowed_days.day_verdicts(rules, day, day)
    if not verdict.allowed:
        return JsonResponse({"day": f"{day}", "why": verdict.why, "times": []})
    clinic = request.clinic
    rooms = dict(slots.clinic_rooms(clinic).values_list("pk", "name"))
    clinicians = {user.pk: str(user) for user in slots.clinic_clinicians(clinic)}
    times = []
    for slot in slots.free_slots(
        clinic=clinic,
        days=[day],
        kind=appointment.kind,
        patient_id=appointment.patient_id,
        exclude_pk=appointment.pk,
        not_before=timezone.now(),
    ):
        free_rooms = [pk for pk in slot.room_ids if appointment.room_id in (None, pk)]
        free_people = [pk for pk in slot.clinician_ids if appointment.clinician_id in (None, pk)]
        if not free_rooms or not free_people:
            continue
        start, end = slot.starts_at.astimezone(clinic.zone), slot.ends_at.astimezone(clinic.zone)
        times.append(
            {
                "start": start.isoformat(timespec="minutes")[:16],
                "label": f"{start:%H:%M} to {end:%H:%M}",
                "rooms": [rooms[pk] for pk in free_rooms if pk in rooms],
                "clinicians": [clinicians[pk] for pk in free_people if pk in clinicians],
            }
        )
    why = "" if times else f"No free time on {day:%a %-d %b %Y} for this visit."
    return JsonResponse({"day": f"{day}", "why": why, "times": times})
