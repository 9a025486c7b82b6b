"""Small helpers shared by the workspace's views."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme


def back(request, default: str):
    """Redirect to the safe `next` parameter, or `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def report(request, recorded, done: str, *, undo_url: str = "") -> None:
    """What a write did, as messages: the success (with an Undo button posting to
    ``undo_url``, when given), then what else the person must know (planned visits that
    changed, visits that need re-booking, why a course cannot be planned).
    """
    messages.success(request, done, extra_tags=f"undo:{undo_url}" if undo_url else "")
    for note in recorded.notes:
        messages.info(request, note)
    lines = recorded.sentences()[len(recorded.notes) :]
    for line in lines:
        messages.warning(request, line)


def apply_service(form, write):
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


def course_form_page(
    request,
    form,
    course,
    *,
    title: str,
    submit: str,
    testid: str,
    template: str = "scheduling/form_page.html",
):
    """A form about one course, titled with the patient's name, back to her page; 422 when
    the form has errors."""
    context = {
        "form": form,
        "course": course,
        "title": f"{title} · {course.patient.full_name}",
        "submit": submit,
        "testid": testid,
        "back_url": reverse("patient-detail", args=[course.patient_id]),
    }
    return render(request, template, context, status=422 if form.errors else 200)


def clinic_today(request):
    """Today in the clinic's time zone."""
    return timezone.localdate(timezone=request.clinic.zone)
