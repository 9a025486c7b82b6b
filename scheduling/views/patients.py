from django.shortcuts import get_object_or_404, render

from scheduling.models import Patient
from scheduling.views.access import clinic_member_required


@clinic_member_required
def patient_detail(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk, clinic=request.clinic)
    return render(
        request,
        "scheduling/patient_detail.html",
        {
            "patient": patient,
            "appointments": patient.appointments.select_related("room", "clinician"),
            "period_starts": patient.period_starts.all(),
        },
    )
