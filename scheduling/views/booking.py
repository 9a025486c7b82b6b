"""Booking a tentative step into a free slot; confirming, cancelling, no-show."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.booking import BookingForm
from scheduling.models import Appointment
from scheduling.selectors.appointments import allowed_days
from scheduling.services import appointments as service
from scheduling.services import slots
from scheduling.views.navigation import back


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
            service.appointment_book(
                appointment=appointment,
                starts_at=form.cleaned_data["starts_at"],
                room=form.cleaned_data["room"],
                clinician=form.cleaned_data["clinician"],
                actor=request.user,
            )
        except (service.AppointmentRefused, ValidationError) as refusal:
            form.add_error(None, _sentence(refusal))
        else:
            messages.success(request, f"{appointment.get_kind_display()} booked.")
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


def _status_change(request, pk: int, write, done: str):
    appointment = _appointment(request, pk)
    try:
        write(appointment=appointment, actor=request.user)
    except (service.AppointmentRefused, ValidationError) as refusal:
        messages.error(request, _sentence(refusal))
    else:
        messages.success(request, done)
    return back(request, _patient_url(appointment))


@require_POST
def confirm(request, pk: int):
    return _status_change(request, pk, service.appointment_confirm, "Appointment confirmed.")


@require_POST
def cancel(request, pk: int):
    return _status_change(request, pk, service.appointment_cancel, "Appointment cancelled.")


@require_POST
def no_show(request, pk: int):
    return _status_change(request, pk, service.appointment_mark_no_show, "Recorded as a no-show.")
