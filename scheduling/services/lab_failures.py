"""A patient's cell batch that fails quality control (issue 12).

The batch is recorded as failed with the checks that failed and why. Its course re-plans in the
same transaction: the failed harvest's visit stays in the history but no longer holds the
course's harvest step, so the plan asks for another harvest (a UC course is given a donor-lot
dose instead, see ``services.lots``). Until a new batch exists the course is listed in
needs-attention ("cells failed QC: ...").
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from scheduling.models import AppointmentStatus, BatchStatus, CellBatch
from scheduling.services import locks
from scheduling.services.recording import QC_CHECKS, Recorded, replan_after_fact

FAILABLE = (BatchStatus.EXPANDING, BatchStatus.RELEASED)


def batch_fail(
    *, batch: CellBatch, failed_checks: list[str], reason: str, notify: bool = True
) -> Recorded:
    """QC failed on ``failed_checks`` (identity, purity, viability, sterility) for ``reason``."""
    failed = [name for name in QC_CHECKS if name in failed_checks]
    reason = reason.strip()
    errors = {}
    if not failed:
        errors["failed_checks"] = "Choose the check(s) that failed."
    if not reason:
        errors["reason"] = "Say what the lab found."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        course = locks.lock_course(batch.course_id) if batch.course_id else None
        appointments = locks.locked_appointments(course) if course is not None else []
        batch = CellBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == BatchStatus.FAILED:
            return Recorded(notes=[f"Lot {batch.lot_number} is already recorded as failed."])
        if batch.status not in FAILABLE:
            raise ValidationError(
                f"Lot {batch.lot_number} is {batch.get_status_display().lower()}; it cannot "
                "fail QC now."
            )
        for name in failed:
            setattr(batch, f"qc_{name}", False)
        batch.status = BatchStatus.FAILED
        batch.failure_reason = f"{', '.join(failed).capitalize()} failed: {reason}"[:300]
        fields = [f"qc_{name}" for name in failed]
        batch.save(update_fields=[*fields, "status", "failure_reason", "updated_at"])
        for appointment in appointments:
            if appointment.step_key == "harvest" and appointment.status == AppointmentStatus.DONE:
                appointment.step_key = ""  # kept as history; the course needs a new harvest
                appointment.save(update_fields=["step_key", "updated_at"])
        recorded = replan_after_fact([course] if course is not None else [], notify=notify)
        recorded.notes.insert(0, f"Lot {batch.lot_number} recorded as failed QC.")
        return recorded
