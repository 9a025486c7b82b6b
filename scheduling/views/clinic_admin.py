"""Clinic admins: opening days and hours, protocol parameters, rooms, closures, and the staff
section (scheduling/views/staff.py)."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.clinic_admin import (
    ClinicSettingsForm,
    ClosedDateForm,
    RoomForm,
)
from scheduling.forms.fields import save_unique
from scheduling.forms.staff import StaffInviteForm
from scheduling.models import ClosedDate, ReplanRun, Room
from scheduling.services import replans, slots
from scheduling.timeline.dates import spoken
from scheduling.views import staff

FORMS = {"settings", "room", "closed", "invite"}


@require_http_methods(["GET", "POST"])
def clinic_settings(request):
    policy.require(request, policy.Action.ADMINISTER)
    clinic = request.clinic
    which = request.POST.get("form") if request.method == "POST" else None
    bound = request.POST if which in FORMS else None
    forms = {
        "settings": ClinicSettingsForm(
            bound if which == "settings" else None, instance=clinic, prefix="settings"
        ),
        "room": RoomForm(bound if which == "room" else None, clinic=clinic, prefix="room"),
        "closed": ClosedDateForm(
            bound if which == "closed" else None, clinic=clinic, prefix="closed"
        ),
        "invite": StaffInviteForm(bound if which == "invite" else None, prefix="invite"),
    }
    if which == "invite" and forms["invite"].is_valid():
        invited = staff.invite(request, forms["invite"])
        if invited is not None:
            return invited
    elif which in FORMS and forms[which].is_valid():
        saved = _save_and_follow_through(request, forms[which])
        if saved is not None:
            return saved
    return render(
        request,
        "scheduling/clinic_admin.html",
        {
            "forms": forms,
            "rooms": [
                (room, slots.visits_held(room)) for room in Room.objects.filter(clinic=clinic)
            ],
            "closed_dates": ClosedDate.objects.filter(clinic=clinic),
            "replan_runs": ReplanRun.objects.filter(clinic=clinic)[:5],
            "disclosure_url": request.build_absolute_uri(reverse("disclosure", args=[clinic.slug])),
            **staff.staff_context(clinic, forms["invite"]),
        },
        status=422 if which in FORMS else 200,
    )


def _save_and_follow_through(request, form):
    """Save the form and re-plan what it affects; the redirect with the message, or None when
    the database refused a duplicate (the form now says so)."""
    with transaction.atomic():
        saved = _save(form)
        run = None if saved is None else _follow_through(request, form)
    if saved is None:
        return None
    messages.success(request, "Saved." if run is None else f"Saved. {run.summary}")
    return redirect("clinic-settings")


def _follow_through(request, form):
    """Re-plan the courses a saved change affects, in the background (services/replans.py)."""
    clinic, course_ids = request.clinic, None
    if isinstance(form, ClosedDateForm):
        reason = f"closing on {form.instance.date:%a %-d %b %Y}"
        course_ids = replans.courses_with_visits_on(clinic, form.instance.date)
    elif isinstance(form, ClinicSettingsForm) and form.planning_changed:
        reason = "new clinic settings"
    elif isinstance(form, RoomForm) and form.holds_other_visits:
        reason = f"{form.instance}: the visits held there changed"
        course_ids = replans.courses_booked_in_room(form.instance)
    else:
        return None
    return replans.clinic_replan_request(
        clinic=clinic, reason=reason, actor=request.user, course_ids=course_ids
    )


def _save(form):
    """Save the form; a duplicate the database refuses in a race becomes the form's message."""
    if isinstance(form, RoomForm | ClosedDateForm):
        field = "name" if isinstance(form, RoomForm) else "date"
        return save_unique(
            form, form.save, duplicate=form.duplicates(), field=field, message=form.TAKEN
        )
    return form.save()


@require_http_methods(["GET", "POST"])
def room_edit(request, pk: int):
    """A room's name and the visits held there. Booked visits a room no longer takes are
    flagged for re-booking by the re-plan that follows."""
    room = policy.get_for(request, Room.objects.all(), policy.Action.ADMINISTER, pk=pk)
    form = RoomForm(request.POST or None, instance=room, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        saved = _save_and_follow_through(request, form)
        if saved is not None:
            return saved
    return render(
        request,
        "scheduling/form_page.html",
        {
            "form": form,
            "title": f"Room {room}",
            "submit": "Save",
            "testid": "room-edit-form",
            "back_url": reverse("clinic-settings"),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def room_toggle(request, pk: int):
    room = policy.get_for(request, Room.objects.all(), policy.Action.ADMINISTER, pk=pk)
    with transaction.atomic():
        room.is_active = not room.is_active
        room.save(update_fields=["is_active"])
        run = replans.clinic_replan_request(
            clinic=request.clinic,
            reason=f"{room} {'back in use' if room.is_active else 'out of use'}",
            actor=request.user,
            course_ids=replans.courses_booked_in_room(room),
        )
    state = "in use" if room.is_active else "out of use"
    messages.success(request, f"{room} is now {state}. {run.summary}")
    return redirect("clinic-settings")


@require_POST
def closed_date_delete(request, pk: int):
    closed = policy.get_for(request, ClosedDate.objects.all(), policy.Action.ADMINISTER, pk=pk)
    with transaction.atomic():
        closed.delete()
        run = replans.clinic_replan_request(
            clinic=request.clinic,
            reason=f"opening on {closed.date:%a %-d %b %Y}",
            actor=request.user,
        )
    messages.success(request, f"{spoken(closed.date)} is open again. {run.summary}")
    return redirect("clinic-settings")
