"""A course's transfer, clinical outcomes, closing and reopening (services/outcomes.py).

Coordinators record the transfer and close or reopen a course; only physicians record
clinical outcomes (policy.Action.RECORD_RESULTS).
"""

from django.contrib import messages
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.outcomes import CloseForm, OutcomeForm, TransferForm
from scheduling.models import Course
from scheduling.services import outcomes
from scheduling.views.navigation import (
    apply_service,
    back,
    clinic_today,
    course_form_page,
    report,
)


def _course(request, pk: int, action: policy.Action) -> Course:
    queryset = Course.objects.select_related("clinic", "patient")
    return policy.get_for(request, queryset, action, pk=pk)


def _page(request, form, course: Course, title: str, submit: str, testid: str):
    return course_form_page(request, form, course, title=title, submit=submit, testid=testid)


@require_http_methods(["GET", "POST"])
def transfer(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.BOOK)
    form = TransferForm(request.POST or None, today=clinic_today(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        recorded = apply_service(
            form,
            lambda: outcomes.transfer_record(
                course=course, on=data["on"], embryos=data["embryos"],
                embryo_stage=data["embryo_stage"], transfer_type=data["transfer_type"],
                note=data["note"], recorded_by=request.user,
            ),
        )  # fmt: skip
        if recorded is not None:
            report(request, recorded, "Embryo transfer recorded.")
            return back(request, reverse("patient-detail", args=[course.patient_id]))
    return _page(request, form, course, "Embryo transfer", "Record transfer", "transfer-form")


@require_http_methods(["GET", "POST"])
def outcome(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.RECORD_RESULTS)
    form = OutcomeForm(request.POST or None, today=clinic_today(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind, on, note = data.pop("kind"), data.pop("on"), data.pop("note")
        recorded = apply_service(
            form,
            lambda: outcomes.outcome_record(
                course=course, kind=kind, on=on, note=note, recorded_by=request.user, **data
            ),
        )
        if recorded is not None:
            report(request, recorded, "Outcome recorded.")
            return back(request, reverse("patient-detail", args=[course.patient_id]))
    return _page(request, form, course, "Outcome", "Record outcome", "outcome-form")


@require_http_methods(["GET", "POST"])
def close(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.EDIT_PATIENTS)
    form = CloseForm(request.POST or None, today=clinic_today(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        recorded = apply_service(
            form,
            lambda: outcomes.course_close(
                course=course, status=data["status"], reason=data["reason"], on=data["on"],
                recorded_by=request.user,
            ),
        )  # fmt: skip
        if recorded is not None:
            report(request, recorded, "Course closed.")
            return back(request, reverse("patient-detail", args=[course.patient_id]))
    return _page(request, form, course, "Close the course", "Close course", "close-form")


@require_POST
def reopen(request, course_pk: int):
    course = _course(request, course_pk, policy.Action.EDIT_PATIENTS)
    url = reverse("patient-detail", args=[course.patient_id])
    form = CloseForm()  # only to carry a refusal
    recorded = apply_service(form, lambda: outcomes.course_reopen(course=course))
    if recorded is None:
        for error in form.non_field_errors():
            messages.error(request, error)
        return back(request, url)
    report(request, recorded, "Course reopened.")
    return back(request, url)
