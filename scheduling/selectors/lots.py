"""Reads about donor lots: which lots can serve a UC course, which run low or expire soon, and
which UC courses wait for a dose."""

import dataclasses
import datetime as dt

from django.db.models import F, QuerySet
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    Clinic,
    Course,
    DonorLot,
    LotStatus,
)
from scheduling.selectors.courses import course_input

EXPIRY_HORIZON = dt.timedelta(days=30)


def available_lots(clinic: Clinic) -> QuerySet[DonorLot]:
    """Released lots with a dose left (not counting expiry)."""
    return DonorLot.objects.filter(clinic=clinic, status=LotStatus.RELEASED).filter(
        doses__gt=F("doses_reserved") + F("doses_used")
    )


def waiting_courses(clinic: Clinic) -> QuerySet[Course]:
    """Courses whose plan holds back an infusion until a donor-lot dose is reserved: the first
    one, or one the engine added after a result below the threshold (its last re-plan says so,
    services/planning.py)."""
    return Course.objects.filter(clinic=clinic, waits_for_dose=True)


def earliest_infusion_day(course: Course) -> dt.date | None:
    """The day the course's next infusion would take with a dose allocated today (the engine's
    plan with ``lot_allocated_on`` today); None when the course cannot be planned."""
    planning = course_input(course)
    today = timezone.localdate(timezone=course.clinic.zone)
    facts = dataclasses.replace(planning.facts, lot_allocated_on=today, expires_on=None)
    try:
        plan = timeline.plan(dataclasses.replace(planning, facts=facts))
    except (timeline.PlanRefused, timeline.InvalidCourse):
        return None
    planned = [s.date for s in plan.steps if s.kind == timeline.StepKind.INFUSION and not s.done]
    return planned[0] if planned else None


def lots_for_course(course: Course) -> tuple[dt.date | None, list[DonorLot]]:
    """The course's planned infusion day (with a dose allocated today) and the released lots
    with a dose left that are unexpired on that day, soonest expiry first."""
    day = earliest_infusion_day(course)
    if day is None:
        return None, []
    lots = available_lots(course.clinic).filter(expires_on__gte=day).order_by("expires_on")
    return day, list(lots)


@dataclasses.dataclass
class LotRow:
    lot: DonorLot
    low: bool
    expiring: bool


def lot_overview(clinic: Clinic) -> tuple[list[LotRow], int]:
    """Every lot with its flags, and how many UC courses wait for a dose. A released lot runs
    low when it has fewer doses available than courses waiting; a lot with doses available
    expiring within 30 days is flagged too."""
    today = timezone.localdate(timezone=clinic.zone)
    waiting = waiting_courses(clinic).count()
    rows = []
    order = {LotStatus.RELEASED: 0, LotStatus.QUARANTINE: 1, LotStatus.FAILED: 2}
    every = DonorLot.objects.filter(clinic=clinic).order_by("expires_on", "lot_number")
    for lot in sorted(every, key=lambda lot: order.get(lot.status, 3)):  # released first
        usable = lot.status != LotStatus.FAILED and lot.doses_available > 0
        rows.append(
            LotRow(
                lot=lot,
                low=lot.status == LotStatus.RELEASED and lot.doses_available < waiting,
                expiring=usable and lot.expires_on <= today + EXPIRY_HORIZON,
            )
        )
    return rows, waiting


def running_low(clinic: Clinic) -> list[DonorLot]:
    return [row.lot for row in lot_overview(clinic)[0] if row.low]


def expiring_soon(clinic: Clinic) -> list[DonorLot]:
    return [row.lot for row in lot_overview(clinic)[0] if row.expiring]


@dataclasses.dataclass
class WaitingCourse:
    course: Course
    lot_available: bool  # False: "No released donor lot"


def waiting_for_dose(clinic: Clinic, limit: int = 50) -> list[WaitingCourse]:
    """UC courses waiting for a dose, each with whether a lot could serve it (released, a dose
    left, unexpired after the thaw lead time); no lot: "No released donor lot" in
    needs-attention. Two queries."""
    today = timezone.localdate(timezone=clinic.zone)
    earliest = today + dt.timedelta(days=clinic.uc_thaw_lead_days)
    courses = list(waiting_courses(clinic).select_related("patient").order_by("pk")[:limit])
    if not courses:
        return []
    available = available_lots(clinic).filter(expires_on__gte=earliest).exists()
    return [WaitingCourse(course, available) for course in courses]
