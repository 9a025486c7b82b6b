"""Booking a tentative step into a free slot; confirming, cancelling, no-show."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.booking import BookingForm, CancelForm, ConfirmActionForm
from scheduling.models import Appointment
from scheduling.selectors.appointments import allowed_days
from scheduling.services import appointments as service
from scheduling.services import slots
from scheduling.views.navigation import back, report


def _appointment(request, pk: int) -> Appointment:
    return policy.get_for(
        request,
        Appointment.objects.select_related("clinic", "patient", "course", "room", "clinician"),
        policy.Action.BOOK,
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def book(request, pk: int):
    appointment = _appointment(request, pk)
    days = allowed_days(appointment)
    free = slots.free_slots(
        clinic=request.clinic,
        days=days,
        kind=appointment.kind,
        patient_id=appointment.patient_id,
        exclude_pk=appointment.pk,
        not_before=timezone.now(),
    )
    form = BookingForm(request.POST or None, clinic=request.clinic, free_slots=free)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = service.appointment_book(
                appointment=appointment,
                starts_at=form.cleaned_data["starts_at"],
                room=form.cleaned_data["room"],
                clinician=form.cleaned_data["clinician"],
                actor=request.user,
            )
        except (service.AppointmentRefused, ValidationError) as refusal:
            form.add_error(None, _sentence(refusal))
        else:
            report(request, recorded, f"{appointment.get_kind_display()} booked.")
            return back(request, _patient_url(appointment))
    return render(
        request,
        "scheduling/booking.html",
        {"appointment": appointment, "form": form, "days": days, "slot_count": len(free)},
        status=422 if form.errors else 200,
    )


def _patient_url(appointment: Appointment) -> str:
    return reverse("patient-detail", args=[appointment.patient_id])


def _sentence(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@require_POST
def confirm(request, pk: int):
    """Confirm a booked visit; for one flagged "needs re-booking", keep it where it stands."""
    appointment = _appointment(request, pk)
    kept = bool(appointment.rebooking_reason)
    try:
        service.appointment_confirm(appointment=appointment, actor=request.user)
    except (service.AppointmentRefused, ValidationError) as refusal:
        messages.error(request, _sentence(refusal))
    else:
        messages.success(
            request,
            "Kept where it stands and confirmed; its reminders go out again."
            if kept
            else "Appointment confirmed.",
        )
    return back(request, _patient_url(appointment))


def _when(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(appointment.clinic.zone)
    if appointment.status == "tentative":
        return f"{local:%a %-d %b %Y}"
    return f"{local:%a %-d %b %Y, %H:%M}"


@require_http_methods(["GET", "POST"])
def cancel(request, pk: int):
    """Cancel after confirming: with a reason, and what happens to the step."""
    appointment = _appointment(request, pk)
    can_drop = bool(appointment.course_id and appointment.step_key) and (
        appointment.kind not in service.UNDROPPABLE
    )
    form = CancelForm(request.POST or None, can_drop=can_drop)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = service.appointment_cancel(
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                then=form.cleaned_data["then"],
                actor=request.user,
            )
        except (service.AppointmentRefused, ValidationError) as refusal:
            form.add_error(None, _sentence(refusal))
        else:
            dropped = form.cleaned_data["then"] == service.Then.DROP
            what = f"{appointment.get_kind_display()} on {_when(appointment)} cancelled"
            report(
                request,
                recorded,
                f"{what}; the step is dropped from the course."
                if dropped
                else f"{what}; the step is planned again.",
            )
            return back(request, _patient_url(appointment))
    title = f"Cancel {appointment.get_kind_display().lower()} on {_when(appointment)}?"
    return _confirm_page(request, appointment, form, title, "Cancel the visit", "cancel-form")


@require_http_methods(["GET", "POST"])
def no_show(request, pk: int):
    appointment = _appointment(request, pk)
    form = ConfirmActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = service.appointment_mark_no_show(appointment=appointment, actor=request.user)
        except (service.AppointmentRefused, ValidationError) as refusal:
            form.add_error(None, _sentence(refusal))
        else:
            report(request, recorded, "Recorded as a no-show; the step is planned again.")
            return back(request, _patient_url(appointment))
    title = f"Record {appointment.get_kind_display().lower()} on {_when(appointment)} as a no-show?"
    return _confirm_page(request, appointment, form, title, "Record no-show", "no-show-form")


def _confirm_page(request, appointment, form, title: str, submit: str, testid: str):
    """A destructive action's own page: what it acts on, the form, and a way back."""
    context = {"appointment": appointment, "form": form, "title": title, "submit": submit}
    context |= {"testid": testid, "back_url": _patient_url(appointment)}
    return render(
        request,
        "scheduling/confirm_action.html",
        context,
        status=422 if form.errors else 200,
    )
