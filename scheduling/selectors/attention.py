"""What needs a coordinator's attention today: one query per list, whatever the clinic's size."""

import datetime as dt
from dataclasses import dataclass, field, fields

from django.db.models import Exists, OuterRef
from django.utils import timezone

from scheduling.models import (
    CLOSED_COURSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    BatchStatus,
    CellBatch,
    Clinic,
    Course,
    PeriodStart,
    PeriodStartStatus,
)
from scheduling.selectors import lots, messaging

BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
LIMIT = 50
CD1_HORIZON = dt.timedelta(days=14)
CONFIRM_HORIZON = dt.timedelta(hours=48)
RELEASE_HORIZON = dt.timedelta(days=2)
RESULT_LOOKBACK = dt.timedelta(days=60)


@dataclass
class Attention:
    cd1_due: list = field(default_factory=list)
    batches_due: list = field(default_factory=list)
    results_overdue: list = field(default_factory=list)
    unconfirmed: list = field(default_factory=list)
    failed_reminders: list = field(default_factory=list)
    missed_reminders: list = field(default_factory=list)
    reschedule_requests: list = field(default_factory=list)
    needs_rebooking: list = field(default_factory=list)
    outcome_not_recorded: list = field(default_factory=list)
    unplannable: list = field(default_factory=list)
    periods_to_check: list = field(default_factory=list)
    donor_lot_waiting: list = field(default_factory=list)  # selectors.lots.WaitingCourse
    cells_failed: list = field(default_factory=list)  # failed batches with no batch after them

    @property
    def total(self) -> int:
        """Every list counts: a list added to the dataclass is counted without more code."""
        return sum(len(getattr(self, f.name)) for f in fields(self))


def attention_for(*, clinic: Clinic, now: dt.datetime | None = None) -> Attention:
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=clinic.zone)
    visits = Appointment.objects.filter(clinic=clinic).select_related("patient")
    return Attention(
        # Cycle-bound visits still tentative and coming up: the patient's CD1 is awaited.
        cd1_due=list(
            visits.filter(
                status=AppointmentStatus.TENTATIVE,
                uncertainty_days__gt=0,
                starts_at__gte=now,
                starts_at__lt=now + CD1_HORIZON,
            ).order_by("starts_at")[:LIMIT]
        ),
        batches_due=list(
            CellBatch.objects.filter(
                clinic=clinic,
                status=BatchStatus.EXPANDING,
                expected_ready_by__lte=today + RELEASE_HORIZON,
            )
            .select_related("course__patient")
            .order_by("expected_ready_by")[:LIMIT]
        ),
        # Ultrasounds recorded as done with no thickness recorded against them.
        results_overdue=list(
            visits.filter(
                kind=AppointmentKind.ULTRASOUND,
                status=AppointmentStatus.DONE,
                starts_at__lt=now,
                starts_at__gte=now - RESULT_LOOKBACK,
                measurements__isnull=True,
            ).order_by("starts_at")[:LIMIT]
        ),
        unconfirmed=list(
            visits.filter(
                status=AppointmentStatus.BOOKED,
                starts_at__gte=now,
                starts_at__lt=now + CONFIRM_HORIZON,
            ).order_by("starts_at")[:LIMIT]
        ),
        failed_reminders=list(messaging.failed_reminders(clinic)[:LIMIT]),
        missed_reminders=list(messaging.missed_reminders(clinic)[:LIMIT]),
        reschedule_requests=list(messaging.open_reschedule_requests(clinic)[:LIMIT]),
        needs_rebooking=list(
            visits.filter(status__in=BOOKED, ends_at__gt=now)
            .exclude(rebooking_reason="")
            .order_by("starts_at")[:LIMIT]
        ),
        # Booked visits whose time has passed: done, no-show or cancelled is still to say.
        outcome_not_recorded=list(
            visits.filter(
                status__in=BOOKED, ends_at__lte=now, starts_at__gte=now - RESULT_LOOKBACK
            ).order_by("starts_at")[:LIMIT]
        ),
        unplannable=list(
            Course.objects.filter(clinic=clinic)
            .exclude(plan_problem="")
            .exclude(status__in=CLOSED_COURSES)
            .select_related("patient")
            .order_by("pk")[:LIMIT]
        ),
        donor_lot_waiting=lots.waiting_for_dose(clinic, LIMIT),
        cells_failed=list(
            CellBatch.objects.filter(clinic=clinic, status=BatchStatus.FAILED)
            .exclude(course__status__in=CLOSED_COURSES)
            .exclude(
                Exists(CellBatch.objects.filter(course=OuterRef("course"), pk__gt=OuterRef("pk")))
            )
            .select_related("course__patient")
            .order_by("updated_at")[:LIMIT]
        ),
        periods_to_check=list(
            PeriodStart.objects.filter(patient__clinic=clinic, status=PeriodStartStatus.TO_CHECK)
            .select_related("patient")
            .order_by("date")[:LIMIT]
        ),
    )
