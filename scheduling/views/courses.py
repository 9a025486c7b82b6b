"""Creating and editing a course, with the engine's plan previewed before saving."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy, timeline
from scheduling.forms.courses import CourseForm
from scheduling.models import Course, Patient
from scheduling.services.enrolment import course_save


def _patient(request, pk: int) -> Patient:
    return policy.get_for(
        request, Patient.objects.select_related("clinic"), policy.Action.EDIT_PATIENTS, pk=pk
    )


def _course(request, pk: int) -> Course:
    return policy.get_for(
        request,
        Course.objects.select_related("clinic", "patient"),
        policy.Action.EDIT_PATIENTS,
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def course_edit(request, patient_pk: int | None = None, pk: int | None = None):
    course = _course(request, pk) if pk is not None else None
    patient = course.patient if course else _patient(request, patient_pk)
    form = CourseForm(request.POST or None, instance=course, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            course_save(
                course=form.instance,
                period_start=form.cleaned_data.get("last_period_start"),
                actor=request.user,
            )
        except (timeline.PlanRefused, timeline.InvalidCourse) as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Course saved and planned.")
            return redirect("patient-detail", pk=patient.pk)
    return render(
        request,
        "scheduling/course_form.html",
        {"form": form, "patient": patient, "course": course, "plan": form.plan_result},
        status=422 if form.errors else 200,
    )


@require_POST
def course_preview(request, patient_pk: int | None = None, pk: int | None = None):
    """The plan the unsaved form data would give (an htmx partial)."""
    course = _course(request, pk) if pk is not None else None
    patient = course.patient if course else _patient(request, patient_pk)
    form = CourseForm(request.POST, instance=course, patient=patient)
    form.is_valid()
    return render(
        request,
        "scheduling/_plan_preview.html",
        {"form": form, "plan": form.plan_result, "clinic": patient.clinic},
    )
