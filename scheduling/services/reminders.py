"""Writing the reminder outbox (DESIGN.md §4) in the same transaction as the appointment.

`reminders_sync` is the one entry point every appointment write calls: it makes the rows match
the appointment's status, version and time, and is cheap and safe to call again. The patient's
"has your period started?" requests (CD1 requests) and the "your dates changed" email are here
too; sending lives in scheduling/services/outbox.py.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from scheduling import audit, timeline
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseStatus,
    Patient,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.selectors.courses import applied_period_starts, course_input

logger = logging.getLogger(__name__)

# Only a visit the coordinator booked is announced; a tentative one may still move.
BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
LIVE_ROWS = (ReminderStatus.PENDING, ReminderStatus.CLAIMED)
TRANSFER_STEP = "transfer-window"

# Days before the visit, per kind of visit.
PROCEDURE = ((ReminderKind.PROCEDURE_3_DAYS, 3), (ReminderKind.PROCEDURE_1_DAY, 1))
DAYS_BEFORE: dict[str, tuple[tuple[str, int], ...]] = {
    AppointmentKind.HARVEST: PROCEDURE,
    AppointmentKind.INFUSION: PROCEDURE,
    AppointmentKind.EMBRYO_TRANSFER: PROCEDURE,
    AppointmentKind.ULTRASOUND: ((ReminderKind.ULTRASOUND_1_DAY, 1),),
    AppointmentKind.FOLLOW_UP: (
        (ReminderKind.FOLLOW_UP_7_DAYS, 7),
        (ReminderKind.FOLLOW_UP_1_DAY, 1),
    ),
}

# Patients are never emailed at night: a reminder that is late is held until the morning.
DAY_STARTS = dt.time(8, 0)
DAY_ENDS = dt.time(21, 0)
# A reminder that could only go out this close to the visit is not worth sending.
MIN_NOTICE = dt.timedelta(hours=1)


class PlanChange(Protocol):
    key: str
    old_date: dt.date | None
    new_date: dt.date | None


def local_due(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The reminder hour on `day` in the patient's zone, in UTC (zoneinfo handles DST)."""
    local = dt.datetime.combine(day, dt.time(settings.REMINDER_LOCAL_HOUR), tzinfo=zone)
    return local.astimezone(dt.UTC)


def daytime_from(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """`moment`, or the next morning's reminder hour when `moment` is at night."""
    local = moment.astimezone(zone)
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return moment
    day = local.date() + dt.timedelta(days=1 if local.time() >= DAY_ENDS else 0)
    return local_due(day, zone)


def wanted_reminders(appointment: Appointment, now: dt.datetime) -> dict[str, dt.datetime]:
    """Kind → due time (UTC) of the reminders this appointment should have right now."""
    if appointment.status not in BOOKED or appointment.starts_at <= now + MIN_NOTICE:
        return {}
    if appointment.rebooking_reason:
        return {}  # held: the visit no longer fits, and a person has yet to re-book or keep it
    zone = ZoneInfo(appointment.patient.time_zone)
    visit_day = appointment.starts_at.astimezone(zone).date()
    schedule = [
        (kind, local_due(visit_day - dt.timedelta(days=days), zone))
        for kind, days in DAYS_BEFORE.get(appointment.kind, ())
    ]
    opens = _transfer_window_opens(appointment)
    if opens is not None:
        schedule.append((ReminderKind.TRANSFER_WINDOW_OPENS, local_due(opens, zone)))
    schedule.sort(key=lambda item: item[1])
    wanted = {kind: due for kind, due in schedule if due > now}
    if not any(kind in wanted for kind, _ in schedule[-1:]) and schedule:
        # Booked at short notice: the nearest reminder still goes out, as soon as it is day.
        kind, _ = schedule[-1]
        due = daytime_from(now, zone)
        if due <= appointment.starts_at - MIN_NOTICE:
            wanted[kind] = due
    return wanted


def _transfer_window_opens(appointment: Appointment) -> dt.date | None:
    if appointment.step_key != TRANSFER_STEP or appointment.course_id is None:
        return None
    if Reminder.objects.filter(
        appointment=appointment,
        appointment_version=appointment.version,
        kind=ReminderKind.TRANSFER_WINDOW_OPENS,
    ).exists():
        return None  # already written for this version; no need to plan again
    try:
        step = timeline.plan(course_input(appointment.course)).step(TRANSFER_STEP)
    except (timeline.PlanRefused, timeline.InvalidCourse, KeyError):
        return None
    visit_day = appointment.starts_at.astimezone(ZoneInfo(appointment.patient.time_zone)).date()
    if step.window_start is None or step.window_start >= visit_day:
        return None
    return step.window_start


def reminders_sync(*, appointment: Appointment, cd1_requests: bool = True) -> None:
    """Bring the appointment's reminder rows in line with its status, version and time.

    Rows of an older version, or of an appointment no longer booked, are cancelled (pending and
    claimed alike: a claimed row's send task re-checks and stops); the current version's
    missing rows are written. The unique constraint makes a second copy impossible.
    ``cd1_requests=False``: the caller syncs the patient's period requests once, after all
    of her visits (a re-plan touches many).
    """
    now = timezone.now()
    wanted = wanted_reminders(appointment, now)
    with transaction.atomic():
        stale = Reminder.objects.filter(appointment=appointment, status__in=LIVE_ROWS)
        if appointment.status in BOOKED and not appointment.rebooking_reason:
            # Rows of this version stay, even those whose time has passed and await dispatch.
            stale = stale.exclude(appointment_version=appointment.version)
        audit.update_rows(
            stale, status=ReminderStatus.CANCELLED, claim_token="", lease_expires_at=None
        )
        if not wanted:
            return
        current = Reminder.objects.filter(
            appointment=appointment, appointment_version=appointment.version
        )
        existing = dict(current.values_list("kind", "status"))
        # Booked again after a cancellation at the same time: the same rows come back.
        revived = [
            kind for kind, status in existing.items()
            if status == ReminderStatus.CANCELLED and kind in wanted
        ]  # fmt: skip
        for kind in revived:
            audit.update_rows(
                current.filter(kind=kind, status=ReminderStatus.CANCELLED),
                status=ReminderStatus.PENDING,
                due_at=wanted[kind],
                attempts=0,
                last_error="",
            )
        new = [kind for kind in wanted if kind not in existing]
        if new:
            Reminder.objects.bulk_create(
                [
                    Reminder(
                        clinic_id=appointment.clinic_id,
                        patient_id=appointment.patient_id,
                        appointment=appointment,
                        appointment_version=appointment.version,
                        kind=kind,
                        due_at=wanted[kind],
                    )
                    for kind in new
                ],
                ignore_conflicts=True,
            )
            # The caller holds the appointment's lock: rows of these kinds are the ones written.
            audit.record_created(current.filter(kind__in=new))
    tentative = appointment.status == AppointmentStatus.TENTATIVE
    if cd1_requests and tentative and appointment.uncertainty_days:
        cd1_requests_sync(patient=appointment.patient)


# CD1 requests ---------------------------------------------------------------------------------


def expected_period_start(patient: Patient) -> dt.date | None:
    """The day her next period is expected, from the periods she reported (None: none known)."""
    starts = list(applied_period_starts(patient))
    try:
        cycle = timeline.estimate_cycle(
            starts, stated_length=patient.stated_cycle_length, luteal=patient.luteal_length
        )
    except timeline.InvalidCourse:
        return None
    return cycle.starts[-1] + dt.timedelta(days=cycle.length)


def waits_for_period(patient: Patient) -> bool:
    """A tentative visit of hers still depends on a period she has not reported (never while
    she is pregnant: her cycle-based planning stops)."""
    if patient.courses.filter(status=CourseStatus.PREGNANT).exists():
        return False
    return patient.appointments.filter(
        status=AppointmentStatus.TENTATIVE, uncertainty_days__gt=0
    ).exists()


def cd1_requests_sync(*, patient: Patient) -> None:
    """Ask her, around the day her next period is expected and then daily (capped), to report it.

    Rows for an expectation that changed (she reported, or the estimate moved) are cancelled.
    """
    expected = expected_period_start(patient) if waits_for_period(patient) else None
    now = timezone.now()
    zone = ZoneInfo(patient.time_zone)
    today = now.astimezone(zone).date()
    with transaction.atomic():
        live = Reminder.objects.filter(
            patient=patient, kind=ReminderKind.CD1_REQUEST, status__in=LIVE_ROWS
        )
        audit.update_rows(
            live.exclude(expected_on=expected),
            status=ReminderStatus.CANCELLED,
            claim_token="",
            lease_expires_at=None,
        )
        if expected is None:
            return
        asked = Reminder.objects.filter(
            patient=patient, kind=ReminderKind.CD1_REQUEST, expected_on=expected
        )
        written = set(asked.values_list("sequence", flat=True))
        rows = []
        for sequence in range(settings.CD1_REQUEST_MAX):
            day = expected + dt.timedelta(days=sequence)
            if day < today or sequence in written:
                continue
            due = local_due(day, zone)
            rows.append(
                Reminder(
                    clinic_id=patient.clinic_id,
                    patient=patient,
                    kind=ReminderKind.CD1_REQUEST,
                    expected_on=expected,
                    sequence=sequence,
                    due_at=due if due > now else daytime_from(now, zone),
                )
            )
        if rows:
            Reminder.objects.bulk_create(rows, ignore_conflicts=True)
            # A writer racing this one may have written some of them: its events say so too.
            audit.record_created(asked.filter(sequence__in=[row.sequence for row in rows]))


def period_reported_since(patient: Patient, expected_on: dt.date) -> bool:
    """She reported a period that answers the request for `expected_on` (early ones count)."""
    earliest = expected_on - dt.timedelta(days=10)
    return applied_period_starts(patient).filter(date__gte=earliest).exists()


# "Your dates changed" --------------------------------------------------------------------------


def plan_changes_notify(*, course: Course, changes: Sequence[PlanChange]) -> None:
    """One email to the patient listing the visits that are new, moved or no longer needed: an
    outbox row, due now, written in the caller's transaction (so it is sent exactly when the
    change is saved)."""
    moved = [
        {"key": change.key, "old": _iso(change.old_date), "new": _iso(change.new_date)}
        for change in changes
        if change.old_date != change.new_date
    ]
    if not moved:
        return
    notices = Reminder.objects.filter(
        patient_id=course.patient_id, kind=ReminderKind.PLAN_CHANGED, appointment__isnull=True
    )
    # Numbered 1, 2, … per patient: the database key (patient, kind, sequence) has no NULL, so
    # a second row with one number cannot exist; a writer that lost the race takes the next.
    for _ in range(3):
        last = notices.aggregate(last=models.Max("sequence"))["last"] or 0
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    clinic_id=course.clinic_id,
                    patient_id=course.patient_id,
                    kind=ReminderKind.PLAN_CHANGED,
                    sequence=last + 1,
                    due_at=timezone.now(),
                    payload=moved,
                )
            return
        except IntegrityError:
            continue
    raise IntegrityError(f"no free number for a plan-changed notice of patient {course.patient_id}")


def welcome_notify(*, patient: Patient) -> None:
    """The welcome email for a newly enrolled patient: an outbox row, due now, written in the
    caller's transaction. Once per patient: the database key makes a second one impossible,
    and asking again writes nothing."""
    welcome = Reminder.objects.filter(patient=patient, kind=ReminderKind.WELCOME)
    if welcome.exists():
        return
    Reminder.objects.bulk_create(
        [
            Reminder(
                clinic_id=patient.clinic_id,
                patient=patient,
                kind=ReminderKind.WELCOME,
                due_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )
    audit.record_created(welcome)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
