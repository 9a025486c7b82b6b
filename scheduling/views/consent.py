"""A course's consent: recording the signed form, its withdrawal, and the signed document.

The document is served only here, to staff of the course's clinic whose role may see patients
(policy.Action.VIEW_PATIENTS); another clinic's document is "not found". It is always a
download (never shown inline) and the browser is told not to guess its type.
"""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from scheduling import audit, policy
from scheduling.forms.consent import ConsentForm, WithdrawForm
from scheduling.models import AuditAction, Course, CourseConsent
from scheduling.services import consent as service
from scheduling.views.navigation import (
    apply_service,
    back,
    clinic_today,
    course_form_page,
    report,
)

CONTENT_TYPES = {extension: kind for kind, (_, extension) in service.DOCUMENT_TYPES.items()}


def _course(request, pk: int) -> Course:
    queryset = Course.objects.select_related("clinic", "patient")
    return policy.get_for(request, queryset, policy.Action.EDIT_PATIENTS, pk=pk)


def _page(request, form, course: Course, title: str, submit: str, testid: str):
    return course_form_page(
        request,
        form,
        course,
        title=title,
        submit=submit,
        testid=testid,
        template="scheduling/consent_form.html",
    )


@require_http_methods(["GET", "POST"])
def consent_record(request, course_pk: int):
    course = _course(request, course_pk)
    form = ConsentForm(request.POST or None, request.FILES or None, today=clinic_today(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consent = apply_service(
            form,
            lambda: service.consent_record(
                course=course, form_version=data["form_version"], signed_on=data["signed_on"],
                witnessed_by=data["witnessed_by"], document=data["document"],
                recorded_by=request.user,
            ),
        )  # fmt: skip
        if consent is not None:
            messages.success(request, f"Consent form {consent.form_version} recorded.")
            return back(request, reverse("patient-detail", args=[course.patient_id]))
    return _page(request, form, course, "Consent", "Record consent", "consent-form")


@require_http_methods(["GET", "POST"])
def consent_withdraw(request, course_pk: int):
    course = _course(request, course_pk)
    form = WithdrawForm(request.POST or None, today=clinic_today(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        recorded = apply_service(
            form,
            lambda: service.consent_withdraw(
                course=course, on=data["on"], reason=data["reason"], recorded_by=request.user
            ),
        )
        if recorded is not None:
            report(request, recorded, "Course closed: the patient withdrew her consent.")
            return back(request, reverse("patient-detail", args=[course.patient_id]))
    return _page(
        request, form, course, "Withdrawal of consent", "Record withdrawal", "withdraw-form"
    )


@require_GET
def consent_document(request, pk: int):
    queryset = CourseConsent.objects.select_related("course")
    consent = policy.get_for(request, queryset, policy.Action.VIEW_PATIENTS, pk=pk)
    if not consent.document:
        raise Http404("Not found.")
    extension = consent.document.name.rsplit(".", 1)[-1]
    try:
        handle = consent.document.storage.open(consent.document.name, "rb")
    except FileNotFoundError:
        raise Http404("Not found.") from None
    audit.write(
        [
            audit.event(
                CourseConsent,
                pk=consent.pk,
                clinic_id=consent.course.clinic_id,
                patient_id=consent.course.patient_id,
                changes={"document": "downloaded"},
                action=AuditAction.VIEW,
            )
        ]
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"consent-course-{consent.course_id}-{consent.pk}.{extension}",
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
