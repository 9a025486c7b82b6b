"""Resolving a patient's reschedule request (services/reschedule.py)."""

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from scheduling import policy
from scheduling.models import RescheduleRequest
from scheduling.services.reschedule import RESOLUTION_MAX, reschedule_request_resolve
from scheduling.views.navigation import apply_service, back


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="What was done",
        max_length=RESOLUTION_MAX,
        error_messages={"required": "Say what was done, e.g. “moved to Thu 10 Dec 09:00”."},
        help_text="E.g. “moved to Thu 10 Dec 09:00”, “called her, she keeps the date”.",
    )


@require_http_methods(["GET", "POST"])
def resolve(request, pk: int):
    queryset = RescheduleRequest.objects.select_related("patient", "appointment")
    reschedule = policy.get_for(request, queryset, policy.Action.BOOK, pk=pk)
    form = ResolveForm(request.POST or None)
    patient_page = reverse("patient-detail", args=[reschedule.patient_id])
    if request.method == "POST" and form.is_valid():
        done = apply_service(
            form,
            lambda: reschedule_request_resolve(
                request=reschedule, resolution=form.cleaned_data["resolution"], actor=request.user
            ),
        )
        if done is not None:
            messages.success(
                request, f"{reschedule.patient.full_name}'s request resolved: {done.resolution}"
            )
            return back(request, patient_page)
    return render(
        request,
        "scheduling/reschedule_resolve.html",
        {
            "form": form,
            "reschedule": reschedule,
            "back_url": patient_page,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=422 if form.errors else 200,
    )
