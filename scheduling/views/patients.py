from django.shortcuts import render

from scheduling import policy
from scheduling.models import Patient


def patient_detail(request, pk: int):
    patient = policy.get_for(request, Patient.objects.all(), policy.Action.VIEW_PATIENTS, pk=pk)
    return render(
        request,
        "scheduling/patient_detail.html",
        {
            "patient": patient,
            "appointments": patient.appointments.select_related("room", "clinician"),
            "period_starts": patient.period_starts.all(),
        },
    )
