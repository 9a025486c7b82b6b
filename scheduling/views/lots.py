"""The lab's donor-lot pages (list with low and expiring flags, new lot, edit, QC release or
failure) and allocating a dose to a UC course (lab or coordinator)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from scheduling import policy
from scheduling.forms.lots import DonorLotForm, DoseAllocateForm, LotFailForm, LotReleaseForm
from scheduling.models import AllocationStatus, CellSource, Course, DonorLot, LotStatus
from scheduling.selectors import lots as selectors
from scheduling.services import lots as services
from scheduling.views.navigation import apply_service

LOT_FIELDS = services.LOT_FIELDS


@require_GET
def lot_list(request):
    policy.require(request, policy.Action.VIEW_BATCHES)
    rows, waiting = selectors.lot_overview(request.clinic)
    return render(
        request,
        "scheduling/lots.html",
        {
            "rows": rows,
            "waiting": waiting,
            "waiting_courses": selectors.waiting_for_dose(request.clinic),
            "can_manage": policy.allowed(request, policy.Action.MANAGE_BATCHES),
            "can_allocate": policy.allowed(request, policy.Action.ALLOCATE_DOSES),
        },
    )


@require_http_methods(["GET", "POST"])
def lot_create(request):
    policy.require(request, policy.Action.MANAGE_BATCHES)
    clinic = request.clinic
    today = timezone.localdate(timezone=clinic.zone)
    form = DonorLotForm(request.POST or None, clinic=clinic, today=today)
    if request.method == "POST" and form.is_valid():
        lot = apply_service(form, lambda: services.lot_create(clinic=clinic, **form.cleaned_data))
        if lot is not None:
            messages.success(request, f"Lot {lot.lot_number} entered, in quarantine until QC.")
            return redirect("lot-detail", pk=lot.pk)
    return render(
        request,
        "scheduling/lots_form.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def lot_detail(request, pk: int):
    lot = policy.get_for(
        request, DonorLot.objects.select_related("clinic"), policy.Action.VIEW_BATCHES, pk=pk
    )
    can_manage = policy.allowed(request, policy.Action.MANAGE_BATCHES)
    today = timezone.localdate(timezone=lot.clinic.zone)
    initial = {name: getattr(lot, name) for name in LOT_FIELDS}
    edit = DonorLotForm(initial=initial, clinic=lot.clinic, lot=lot, today=today, prefix="edit")
    release = LotReleaseForm(initial={"released_on": today}, today=today, prefix="release")
    fail = LotFailForm(prefix="fail")
    if request.method == "POST":
        policy.require(request, policy.Action.MANAGE_BATCHES)
        done = None
        if "edit-lot_number" in request.POST:
            edit = DonorLotForm(
                request.POST, clinic=lot.clinic, lot=lot, today=today, prefix="edit"
            )
            if edit.is_valid():
                done = apply_service(edit, lambda: services.lot_edit(lot=lot, **edit.cleaned_data))
                message = "Lot saved."
        elif "fail-reason" in request.POST:
            fail = LotFailForm(request.POST, prefix="fail")
            if fail.is_valid():
                done = apply_service(
                    fail, lambda: services.lot_fail(lot=lot, reason=fail.cleaned_data["reason"])
                )
                message = ""  # the service's notes say it
        else:
            release = LotReleaseForm(request.POST, today=today, prefix="release")
            if release.is_valid():
                done = apply_service(
                    release, lambda: services.lot_release(lot=lot, **release.cleaned_data)
                )
                message = f"Lot {lot.lot_number} released."
        if done is not None:
            if message:
                messages.success(request, message)
            for line in getattr(done, "sentences", list)():
                messages.info(request, line)
            return redirect("lot-detail", pk=lot.pk)
    errors = edit.errors or release.errors or fail.errors
    return render(
        request,
        "scheduling/lots_detail.html",
        {
            "lot": lot,
            "edit": edit,
            "release": release,
            "fail": fail,
            "can_manage": can_manage,
            "in_quarantine": lot.status == LotStatus.QUARANTINE,
            "can_fail": lot.status != LotStatus.FAILED,
            "allocations": lot.allocations.select_related("course__patient").order_by("-pk"),
            "show_patients": policy.allowed(request, policy.Action.VIEW_PATIENTS),
        },
        status=422 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def dose_allocate(request, course_pk: int):
    """Reserve a dose of a lot that can serve the course's planned infusion day."""
    course = policy.get_for(
        request,
        Course.objects.select_related("clinic", "patient"),
        policy.Action.ALLOCATE_DOSES,
        pk=course_pk,
    )
    day, lots = selectors.lots_for_course(course)
    form = DoseAllocateForm(request.POST or None, lots=lots)
    reserved = course.dose_allocations.filter(status=AllocationStatus.RESERVED).first()
    if request.method == "POST" and form.is_valid():
        recorded = apply_service(
            form,
            lambda: services.dose_reserve(
                course=course, lot=form.cleaned_data["lot"], reserved_by=request.user
            ),
        )
        if recorded is not None:
            for line in recorded.sentences():
                messages.info(request, line)
            if policy.allowed(request, policy.Action.VIEW_PATIENTS):
                return redirect("patient-detail", pk=course.patient_id)
            return redirect("lot-list")
    return render(
        request,
        "scheduling/lots_allocate.html",
        {
            "course": course,
            "day": day,
            "lots": lots,
            "form": form,
            "reserved": reserved,
            "is_uc": course.source == CellSource.UMBILICAL_CORD,
            "show_patient": policy.allowed(request, policy.Action.VIEW_PATIENTS),
        },
        status=422 if form.errors else 200,
    )
