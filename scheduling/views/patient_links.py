"""Pages a patient opens from an email link: no password, one purpose per link.

A GET only shows a page (mail scanners open links); the change happens on POST. A used, expired
or broken link gets a kind page with the clinic's phone number, never an error page.
"""

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from scheduling import ics, links
from scheduling.links import LinkError, Purpose
from scheduling.models import Appointment, AppointmentStatus, Patient
from scheduling.services import patient_links as actions


@contextmanager
def _as_patient(patient: Patient):
    with translation.override(patient.language), timezone.override(ZoneInfo(patient.time_zone)):
        yield


def _problem(request, message: str, *, status: int, clinic=None):
    return render(
        request, "links/problem.html", {"message": message, "clinic": clinic}, status=status
    )


def _link_error(request, error: LinkError):
    if error.expired:
        return _problem(request, "This link has expired.", status=410)
    return _problem(request, "This link is not complete or not valid.", status=400)


def _changed(request, clinic):
    return _problem(
        request,
        "This appointment has changed since we sent that email. Please use the links in our "
        "most recent email.",
        status=410,
        clinic=clinic,
    )


def _used(request, clinic):
    return _problem(request, "This link has already been used.", status=410, clinic=clinic)


def _already_done(request, link: links.Link, appointment: Appointment):
    """A confirm link opened again (a second click, a forwarded email): the visit it confirmed
    still stands as confirmed, so say so rather than apologise."""
    appointment.refresh_from_db()
    if not (
        link.purpose == Purpose.CONFIRM
        and appointment.status == AppointmentStatus.CONFIRMED
        and appointment.version == link.version
    ):
        return None
    with _as_patient(appointment.patient):
        context = {"appointment": appointment, "clinic": appointment.clinic, "already": True}
        return render(request, "links/confirm.html", context)


def _appointment_for(link: links.Link) -> Appointment | None:
    return (
        Appointment.objects.select_related("clinic", "patient").filter(pk=link.subject_id).first()
    )


def _appointment_action(request, token: str, purpose: Purpose, template: str, act):
    try:
        link = links.read_token(purpose, token)
    except LinkError as error:
        return _link_error(request, error)
    appointment = _appointment_for(link)
    if appointment is None:
        return _problem(request, "This appointment no longer exists.", status=410)
    clinic = appointment.clinic
    if actions.link_is_used(link):
        return _already_done(request, link, appointment) or _used(request, clinic)
    with _as_patient(appointment.patient):
        try:
            actions.link_appointment(link)
        except actions.AppointmentChanged:
            return _changed(request, clinic)
        context = {"appointment": appointment, "clinic": clinic, "done": False, "errors": {}}
        if request.method == "POST":
            try:
                act(link, request)
            except actions.LinkUsed:
                return _already_done(request, link, appointment) or _used(request, clinic)
            except actions.AppointmentChanged:
                return _changed(request, clinic)
            except ValidationError as error:
                context["errors"] = error.message_dict
            else:
                context["done"] = True
        return render(request, template, context)


@login_not_required
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    return _appointment_action(
        request,
        token,
        Purpose.CONFIRM,
        "links/confirm.html",
        lambda link, request: actions.appointment_confirm_by_patient(link=link),
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def reschedule(request, token: str):
    return _appointment_action(
        request,
        token,
        Purpose.RESCHEDULE,
        "links/reschedule.html",
        lambda link, request: actions.reschedule_request_create(
            link=link, note=request.POST.get("note", "")
        ),
    )


@login_not_required
@require_http_methods(["GET"])
def calendar(request, token: str):
    try:
        link = links.read_token(Purpose.CALENDAR, token)
    except LinkError as error:
        return _link_error(request, error)
    appointment = _appointment_for(link)
    if appointment is None:
        return _problem(request, "This appointment no longer exists.", status=410)
    response = HttpResponse(
        ics.calendar_bytes([appointment]),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def period(request, token: str):
    try:
        link = links.read_token(Purpose.PERIOD, token)
    except LinkError as error:
        return _link_error(request, error)
    patient = Patient.objects.select_related("clinic").filter(pk=link.subject_id).first()
    if patient is None:
        return _problem(request, "This link is not complete or not valid.", status=400)
    clinic = patient.clinic
    if actions.link_is_used(link):
        return _used(request, clinic)
    with _as_patient(patient):
        today = timezone.localdate()
        context = {"clinic": clinic, "today": today, "done": False, "errors": {}, "value": ""}
        if request.method == "POST":
            value = request.POST.get("date", "")
            context["value"] = value
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                context["errors"] = {"date": ["Please choose a date, e.g. " + today.isoformat()]}
            else:
                try:
                    _, recorded = actions.period_report_by_patient(link=link, date=day)
                except actions.LinkUsed:
                    return _used(request, clinic)
                except ValidationError as error:
                    context["errors"] = error.message_dict
                else:
                    context["done"], context["day"] = True, day
                    # Too close to a period she already reported: the clinic checks it first.
                    context["held"] = recorded.held
        status = 400 if context["errors"] else 200
        return render(request, "links/period.html", context, status=status)
