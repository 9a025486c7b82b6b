"""The lab's pages: cell batches, their expansion progress and quality-control release."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from scheduling import policy
from scheduling.forms.lots import BatchFailForm
from scheduling.forms.recording import BatchProgressForm, BatchReleaseForm
from scheduling.models import BatchStatus, CellBatch
from scheduling.services import lab_failures, recording
from scheduling.views.navigation import apply_service
from scheduling.views.patients import history


@require_GET
def batch_list(request):
    batches = (
        policy.scoped(request, CellBatch.objects.all(), policy.Action.VIEW_BATCHES)
        .select_related("course")
        .order_by("status", "expected_ready_by")
    )
    return render(
        request,
        "scheduling/batch_list.html",
        {
            "batches": batches,
            "can_manage": policy.allowed(request, policy.Action.MANAGE_BATCHES),
        },
    )


@require_http_methods(["GET", "POST"])
def batch_detail(request, pk: int):
    batch = policy.get_for(
        request, CellBatch.objects.select_related("clinic"), policy.Action.VIEW_BATCHES, pk=pk
    )
    can_manage = policy.allowed(request, policy.Action.MANAGE_BATCHES)
    progress = BatchProgressForm(initial={"note": batch.progress_note}, prefix="progress")
    today = timezone.localdate(timezone=batch.clinic.zone)
    release = BatchReleaseForm(prefix="release", batch=batch, today=today)
    fail = BatchFailForm(prefix="fail")
    if request.method == "POST":
        policy.require(request, policy.Action.MANAGE_BATCHES)
        if "progress-note" in request.POST:
            progress = BatchProgressForm(request.POST, prefix="progress")
            if progress.is_valid() and apply_service(
                progress,
                lambda: recording.batch_record_progress(
                    batch=batch, note=progress.cleaned_data["note"]
                ),
            ):
                messages.success(request, "Progress recorded.")
                return redirect("batch-detail", pk=batch.pk)
        elif "fail-reason" in request.POST:
            fail = BatchFailForm(request.POST, prefix="fail")
            recorded = fail.is_valid() and apply_service(
                fail, lambda: lab_failures.batch_fail(batch=batch, **fail.cleaned_data)
            )
            if recorded:
                for line in recorded.sentences():
                    messages.warning(request, line)
                return redirect("batch-detail", pk=batch.pk)
        else:
            release = BatchReleaseForm(request.POST, prefix="release", batch=batch, today=today)
            if release.is_valid():
                recorded = apply_service(
                    release, lambda: recording.batch_release(batch=batch, **release.cleaned_data)
                )
                if recorded is not None:
                    messages.success(request, f"Lot {batch.lot_number} released.")
                    for problem in recorded.problems:
                        messages.warning(request, problem)
                    return redirect("batch-detail", pk=batch.pk)
    errors = progress.errors or release.errors or fail.errors
    return render(
        request,
        "scheduling/batch_detail.html",
        {
            "batch": batch,
            "progress": progress,
            "release": release,
            "fail": fail,
            "can_fail": can_manage and batch.status in lab_failures.FAILABLE,
            "can_manage": can_manage,
            "can_release": can_manage and batch.status == BatchStatus.EXPANDING,
            "history": history(batch),
        },
        status=422 if errors else 200,
    )
