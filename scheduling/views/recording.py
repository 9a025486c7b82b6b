"""Recording what happened: a CD1 by phone, a harvest, a visit done, a thickness result.

Each calls the lead's recording service, which saves the fact and re-plans the course; a plan
the engine refuses comes back as a sentence shown to the user.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from scheduling import policy
from scheduling.forms.recording import DoneForm, HarvestDoneForm, PeriodStartForm, ThicknessForm
from scheduling.models import Appointment, AppointmentKind, Course, Patient, ReportedBy
from scheduling.services import recording
from scheduling.views.navigation import back


def _report(request, recorded: recording.Recorded, done: str) -> None:
    moved = sum(len(result.changes) for result in recorded.replans)
    messages.success(request, f"{done} {moved} planned visit(s) moved." if moved else done)
    for problem in recorded.problems:
        messages.warning(request, problem)


def _form_page(request, form, title: str, submit: str, testid: str, back_url: str):
    return render(
        request,
        "scheduling/form_page.html",
        {"form": form, "title": title, "submit": submit, "testid": testid, "back_url": back_url},
        status=422 if form.errors else 200,
    )


def _apply(form, write):
    """Run the service; its ValidationError becomes form errors. Returns the result or None."""
    try:
        return write()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                target = field if field in form.fields else None
                for message in errors:
                    form.add_error(target, message)
        else:
            form.add_error(None, error)
        return None


def _course(request, course_pk: int, action: policy.Action) -> Course:
    queryset = Course.objects.select_related("clinic", "patient")
    return policy.get_for(request, queryset, action, pk=course_pk)


@require_http_methods(["GET", "POST"])
def period_start(request, patient_pk: int):
    patient = policy.get_for(request, Patient.objects.all(), policy.Action.BOOK, pk=patient_pk)
    form = PeriodStartForm(request.POST or None)
    url = reverse("patient-detail", args=[patient.pk])
    if request.method == "POST" and form.is_valid():
        recorded = _apply(
            form,
            lambda: recording.period_start_report(
                patient=patient,
                date=form.cleaned_data["date"],
                reported_by=ReportedBy.STAFF,
                actor=request.user,
            ),
        )
        if recorded is not None:
            _report(request, recorded, f"Cycle day 1 on {form.cleaned_data['date']} recorded.")
            return back(request, url)
    return _form_page(
        request, form, f"Period start for {patient.full_name}", "Record CD1", "period-form", url
    )


@require_http_methods(["GET", "POST"])
def harvest_done(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.BOOK)
    form = HarvestDoneForm(request.POST or None)
    url = reverse("patient-detail", args=[course.patient_id])
    if request.method == "POST" and form.is_valid():
        batch = _apply(
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
    form = DoneForm(request.POST or None)
    url = reverse("patient-detail", args=[appointment.patient_id])
    if request.method == "POST" and form.is_valid():
        recorded = _apply(
            form,
            lambda: recording.appointment_mark_done(
                appointment=appointment, on=form.cleaned_data["on"]
            ),
        )
        if recorded is not None:
            _report(request, recorded, f"{appointment.get_kind_display()} recorded as done.")
            return back(request, url)
    title = f"{appointment.get_kind_display()} done"
    return _form_page(request, form, title, "Record as done", "done-form", url)


@require_http_methods(["GET", "POST"])
def thickness(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.RECORD_RESULTS)
    form = ThicknessForm(request.POST or None)
    url = reverse("patient-detail", args=[course.patient_id])
    if request.method == "POST" and form.is_valid():
        recorded = _apply(
            form,
            lambda: recording.thickness_record(
                course=course,
                measured_on=form.cleaned_data["measured_on"],
                thickness_mm=form.cleaned_data["thickness_mm"],
                recorded_by=request.user,
            ),
        )
        if recorded is not None:
            _report(request, recorded, f"{form.cleaned_data['thickness_mm']} mm recorded.")
            return back(request, url)
    return _form_page(
        request, form, "Endometrial thickness", "Record result", "thickness-form", url
    )
