"""Recording what happened: a CD1 by phone, a harvest, a visit done, a thickness result.

Each calls the lead's recording service, which saves the fact and re-plans the course; a plan
the engine refuses comes back as a sentence shown to the user.
"""

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from scheduling import policy
from scheduling.forms.booking import ConfirmActionForm
from scheduling.forms.recording import (
    DoneForm,
    HarvestDoneForm,
    PeriodStartCorrectForm,
    PeriodStartForm,
    ThicknessForm,
)
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    Patient,
    PeriodStart,
    ReportedBy,
)
from scheduling.services import periods, recording
from scheduling.timeline.dates import spoken
from scheduling.views.navigation import apply_service, back, report


def _form_page(request, form, title: str, submit: str, testid: str, back_url: str):
    return render(
        request,
        "scheduling/form_page.html",
        {"form": form, "title": title, "submit": submit, "testid": testid, "back_url": back_url},
        status=422 if form.errors else 200,
    )


def _course(request, course_pk: int, action: policy.Action) -> Course:
    queryset = Course.objects.select_related("clinic", "patient")
    return policy.get_for(request, queryset, action, pk=course_pk)


@require_http_methods(["GET", "POST"])
def period_start(request, patient_pk: int):
    patient = policy.get_for(request, Patient.objects.all(), policy.Action.BOOK, pk=patient_pk)
    form = PeriodStartForm(request.POST or None, today=_today(request))
    url = reverse("patient-detail", args=[patient.pk])
    if request.method == "POST" and form.is_valid():
        recorded = apply_service(
            form,
            lambda: periods.period_start_report(
                patient=patient,
                date=form.cleaned_data["date"],
                reported_by=ReportedBy.STAFF,
                actor=request.user,
            ),
        )
        if recorded is not None:
            report(request, recorded, f"Cycle day 1 on {form.cleaned_data['date']} recorded.")
            return back(request, url)
    return _form_page(
        request, form, f"Period start for {patient.full_name}", "Record CD1", "period-form", url
    )


@require_http_methods(["GET", "POST"])
def harvest_done(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.BOOK)
    form = HarvestDoneForm(request.POST or None, clinic=course.clinic, today=_today(request))
    url = reverse("patient-detail", args=[course.patient_id])
    if request.method == "POST" and form.is_valid():
        batch = apply_service(
            form,
            lambda: recording.harvest_record_done(
                course=course,
                on=form.cleaned_data["on"],
                lot_number=form.cleaned_data["lot_number"],
            ),
        )
        if batch is not None:
            messages.success(request, f"Harvest recorded; lot {batch.lot_number} is expanding.")
            return back(request, url)
    return _form_page(request, form, "Harvest done", "Record harvest", "harvest-form", url)


@require_http_methods(["GET", "POST"])
def mark_done(request, pk: int):
    queryset = Appointment.objects.select_related("clinic", "patient", "course")
    appointment = policy.get_for(request, queryset, policy.Action.VIEW_PATIENTS, pk=pk)
    # Infusions are a physician's record; other visits are closed by whoever books them.
    if appointment.kind == AppointmentKind.INFUSION or not policy.allowed(
        request, policy.Action.BOOK
    ):
        policy.require(request, policy.Action.RECORD_RESULTS)
    form = DoneForm(request.POST or None, today=_today(request))
    url = reverse("patient-detail", args=[appointment.patient_id])
    if request.method == "POST" and form.is_valid():
        recorded = apply_service(
            form,
            lambda: recording.appointment_mark_done(
                appointment=appointment, on=form.cleaned_data["on"]
            ),
        )
        if recorded is not None:
            report(request, recorded, f"{appointment.get_kind_display()} recorded as done.")
            return back(request, url)
    title = f"{appointment.get_kind_display()} done"
    return _form_page(request, form, title, "Record as done", "done-form", url)


@require_http_methods(["GET", "POST"])
def thickness(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.RECORD_RESULTS)
    visits = (
        course.appointments.filter(kind__in=(AppointmentKind.ULTRASOUND, AppointmentKind.FOLLOW_UP))
        .exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW))
        .select_related("clinic")
        .order_by("starts_at")
    )
    initial = {}
    chosen = request.GET.get("appointment", "")
    if chosen.isascii() and chosen.isdigit() and len(chosen) < 12:
        initial["appointment"] = visits.filter(pk=int(chosen)).first()
    form = ThicknessForm(
        request.POST or None, visits=visits, today=_today(request), initial=initial
    )
    url = reverse("patient-detail", args=[course.patient_id])
    if request.method == "POST" and form.is_valid():
        recorded = apply_service(
            form,
            lambda: recording.thickness_record(
                course=course,
                measured_on=form.cleaned_data["measured_on"],
                thickness_mm=form.cleaned_data["thickness_mm"],
                appointment=form.cleaned_data["appointment"],
                recorded_by=request.user,
            ),
        )
        if recorded is not None:
            report(request, recorded, f"{form.cleaned_data['thickness_mm']} mm recorded.")
            return back(request, url)
    return _form_page(
        request, form, "Endometrial thickness", "Record result", "thickness-form", url
    )


def _today(request):
    return timezone.localdate(timezone=request.clinic.zone)


def _period_start(request, pk: int) -> PeriodStart:
    return policy.get_for(
        request,
        PeriodStart.objects.select_related("patient__clinic"),
        policy.Action.BOOK,
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def period_start_correct(request, pk: int):
    period_start = _period_start(request, pk)
    url = reverse("patient-detail", args=[period_start.patient_id])
    form = PeriodStartCorrectForm(
        request.POST or None, today=_today(request), initial={"date": period_start.date}
    )
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["date"]
        recorded = apply_service(
            form, lambda: periods.period_start_correct(period_start=period_start, date=day)
        )
        if recorded is not None:
            report(
                request,
                recorded,
                f"Cycle day 1 {spoken(period_start.date)} corrected to {spoken(day)}.",
            )
            return back(request, url)
    title = f"Correct cycle day 1 of {period_start.date:%a %-d %b %Y}"
    return _form_page(request, form, title, "Correct", "period-correct-form", url)


@require_http_methods(["GET", "POST"])
def period_start_delete(request, pk: int):
    period_start = _period_start(request, pk)
    url = reverse("patient-detail", args=[period_start.patient_id])
    form = ConfirmActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recorded = apply_service(
            form, lambda: periods.period_start_delete(period_start=period_start)
        )
        if recorded is not None:
            report(request, recorded, f"Cycle day 1 of {period_start.date:%a %-d %b %Y} deleted.")
            return back(request, url)
    title = f"Delete cycle day 1 of {period_start.date:%a %-d %b %Y}?"
    return _form_page(request, form, title, "Delete", "period-delete-form", url)


@require_http_methods(["POST"])
def period_start_apply(request, pk: int):
    period_start = _period_start(request, pk)
    recorded = periods.period_start_apply(period_start=period_start)
    report(request, recorded, f"Cycle day 1 on {spoken(period_start.date)} applied.")
    return back(request, reverse("patient-detail", args=[period_start.patient_id]))
