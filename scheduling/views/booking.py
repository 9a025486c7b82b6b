"""Booking a tentative step into a free slot; confirming, cancelling, no-show."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.booking import BookingForm, CancelForm, ConfirmActionForm
from scheduling.models import Appointment
from scheduling.selectors import booking_days
from scheduling.selectors.consent import GATED_KINDS, consent_refusal, step_action
from scheduling.services import appointments as service
from scheduling.timeline.steps import label, sentence
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
    """Book a visit: the step's allowed days (its planned day first and chosen), the chosen
    day's free times by room and clinician, and when that day is full (or today's hours are
    over) the next days that have room."""
    appointment = _appointment(request, pk)
    clinic = request.clinic
    choice = booking_days.choose(appointment, request.GET.get("day", ""), now=timezone.now())
    form = BookingForm(
        request.POST or None, clinic=clinic, kind=appointment.kind, free_slots=choice.slots
    )
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
            local = form.cleaned_data["starts_at"].astimezone(clinic.zone)
            report(
                request,
                recorded,
                f"{appointment.get_kind_display()} booked on {local:%a %-d %b %Y} at "
                f"{local:%H:%M} in {form.cleaned_data['room']} with "
                f"{form.cleaned_data['clinician']}.",
            )
            return back(request, _patient_url(appointment))
    return render(
        request,
        "scheduling/booking.html",
        {
            "appointment": appointment,
            "form": form,
            "choice": choice,
            "consent_missing": _consent_missing(appointment),
        },
        status=422 if form.errors else 200,
    )


def _consent_missing(appointment: Appointment) -> str:
    """Why a harvest or an infusion cannot be booked yet for want of consent ("": it can)."""
    if not appointment.course_id or appointment.kind not in GATED_KINDS:
        return ""
    return consent_refusal(appointment.course, step_action(appointment.kind, "booking"))


def _with_next(request, url: str) -> str:
    """``url`` that comes back where the person was (``back`` checks the address is ours)."""
    target = request.POST.get("next") or request.GET.get("next")
    return f"{url}?{urlencode({'next': target})}" if target else url


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
    return f"{local:%a %-d %b %Y} at {local:%H:%M}"


def _visit(appointment: Appointment) -> str:
    """ "Infusion 1 on Tue 8 Dec 2026 at 09:00": the visit as a person names it."""
    name = appointment.get_kind_display()
    if appointment.step_key:
        name = sentence(label(appointment.step_key))
    return f"{name} on {_when(appointment)}"


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
            what = f"{_visit(appointment)} cancelled: {form.cleaned_data['reason'].strip()}"
            report(
                request,
                recorded,
                f"{what}; the step is dropped from the course."
                if dropped
                else f"{what}; the step is planned again.",
                undo_url=_with_next(request, reverse("appointment-restore", args=[appointment.pk])),
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
            zone = appointment.clinic.zone
            today = appointment.starts_at.astimezone(zone).date() == timezone.localdate(
                timezone=zone
            )
            report(
                request,
                recorded,
                f"{_visit(appointment)} recorded as a no-show; the step is planned again.",
                undo_url=_with_next(
                    request, reverse("appointment-undo-no-show", args=[appointment.pk])
                )
                if today
                else "",
            )
            return back(request, _patient_url(appointment))
    title = f"Record {appointment.get_kind_display().lower()} on {_when(appointment)} as a no-show?"
    return _confirm_page(request, appointment, form, title, "Record no-show", "no-show-form")


@require_POST
def restore(request, pk: int):
    """Undo a cancellation (the message's Undo button)."""
    appointment = _appointment(request, pk)
    try:
        recorded = service.appointment_restore(appointment=appointment, actor=request.user)
    except (service.AppointmentRefused, ValidationError) as refusal:
        messages.error(request, f"Not restored: {_sentence(refusal)}")
    else:
        appointment.refresh_from_db()
        report(
            request,
            recorded,
            f"{_visit(appointment)} restored ({appointment.get_status_display().lower()}); "
            "the visit planned in its place is cancelled.",
        )
    return back(request, _patient_url(appointment))


@require_POST
def undo_no_show(request, pk: int):
    """Undo a no-show recorded by mistake, on the visit's day (the message's Undo button)."""
    appointment = _appointment(request, pk)
    try:
        recorded = service.appointment_undo_no_show(appointment=appointment, actor=request.user)
    except (service.AppointmentRefused, ValidationError) as refusal:
        messages.error(request, f"Not changed: {_sentence(refusal)}")
    else:
        appointment.refresh_from_db()
        report(request, recorded, f"{_visit(appointment)} is booked again (no-show undone).")
    return back(request, _patient_url(appointment))


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
