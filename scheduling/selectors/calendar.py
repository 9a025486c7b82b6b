"""The calendar's JSON feed: one query for the visible range, whatever its size.

FullCalendar runs with ``timeZone: "UTC"`` and is given the clinic's wall-clock times without an
offset, so a coordinator sees clinic time whatever zone the browser is in (FullCalendar's
documented "UTC coercion"); ranges and moves come back the same way and are read here as
clinic-local times.

Each visit carries the patient's cycle day and phase on its day ("CD10 · proliferative"), from
her applied period starts: one more query for all the visible patients together, her cycle
estimated once, then ``timeline.describe_day`` per visit.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Exists, OuterRef

from scheduling import timeline
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    Course,
    CourseStatus,
    PeriodStart,
    PeriodStartStatus,
)
from scheduling.selectors.courses import clinic_protocol
from scheduling.timeline import dates

# Dark enough for white text (WCAG AA contrast); the calendar legend uses the same colours.
KIND_COLOURS = {
    AppointmentKind.CONSULT: "#495057",
    AppointmentKind.HARVEST: "#6f42c1",
    AppointmentKind.INFUSION: "#0a58ca",
    AppointmentKind.ULTRASOUND: "#146c43",
    AppointmentKind.EMBRYO_TRANSFER: "#b02a37",
    AppointmentKind.FOLLOW_UP: "#8a4d00",
}

# What a row of the feed holds, in order (static/js/calendar.js expands each row into a
# FullCalendar event): a list of short arrays serialises several times faster than objects.
COLUMNS = (
    "id",
    "kind",
    "status",
    "start",
    "end",
    "uncertaintyDays",
    "patientId",
    "patient",
    "roomId",
    "clinicianId",
    "rebooking",
    "cycle",
)
_FIELDS = (
    "pk",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "uncertainty_days",
    "patient_id",
    "patient__first_name",
    "patient__last_name",
    "room_id",
    "clinician_id",
    "rebooking_reason",
)
_HOUR = dt.timedelta(hours=1)


def parse_local(value: str, zone: ZoneInfo) -> dt.datetime:
    """A FullCalendar date ('2025-03-03', '2025-03-03T09:15:00Z') as clinic-local time.

    Raises ValueError for anything else, and ``dates.DateOutOfRange`` (a ValueError) for a
    day outside the one range every date falls in (year 9999 overflowed the range arithmetic).
    """
    value = value.strip().removesuffix("Z")
    if len(value) > 19 and value[19] in "+-.":
        value = value[:19]
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError("unexpected offset")
    dates.check_absolute(parsed.date())
    return parsed.replace(tzinfo=zone)


class _WallClock:
    """UTC datetimes as clinic wall-clock strings, the zone looked up once per UTC hour
    (zones change their offset on the hour or half-hour, never within a UTC hour's minutes
    in the zones clinics use)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.offsets: dict[tuple[int, int, int, int], dt.timedelta] = {}

    def __call__(self, value: dt.datetime | str) -> str:
        if isinstance(value, str):  # SQLite: UTC as text, "2026-11-24 08:00:00[.ffffff]"
            value = dt.datetime.fromisoformat(value)
        key = (value.year, value.month, value.day, value.hour)
        offset = self.offsets.get(key)
        if offset is None:
            hour = value.replace(minute=0, second=0, microsecond=0, tzinfo=dt.UTC)
            offset = self.offsets[key] = hour.astimezone(self.zone).utcoffset() or dt.timedelta()
        return (value + offset).isoformat(timespec="minutes")[:16]


def describe_cycle_day(info: timeline.DayInfo) -> str:
    """'CD10 · proliferative'; a predicted day 'CD10 ±2 d · proliferative'."""
    spread = f" ±{info.uncertainty_days} d" if info.tentative else ""
    return f"CD{info.cycle_day}{spread} · {info.phase}"


@lru_cache(maxsize=8192)
def _estimate(
    starts: tuple[dt.date, ...], length: int, luteal: int, gap: int, tolerance: int
) -> timeline.CycleEstimate | None:
    """``timeline.estimate_cycle`` (pure: the same reported starts give the same estimate, so
    a coordinator paging through weeks estimates each patient once), None when it cannot."""
    try:
        return timeline.estimate_cycle(
            starts,
            stated_length=length,
            luteal=luteal,
            min_gap_days=gap,
            missed_tolerance_days=tolerance,
        )
    except timeline.InvalidCourse:
        return None


@lru_cache(maxsize=65536)
def _cycle_label(estimate: timeline.CycleEstimate, pregnant: bool, day: str) -> str:
    info = timeline.describe_day(estimate, dt.date.fromisoformat(day))
    if pregnant and info.cycle_start > estimate.starts[-1]:
        return ""  # her cycles stop in pregnancy: no predicted cycle day
    return describe_cycle_day(info)


class _CycleDays:
    """The cycle day and phase of each visible patient's visit days: every patient's applied
    period starts and stated lengths in one query, her cycle estimated once.

    A patient with no applied period start (or whose starts the engine cannot read) gets no
    label; neither does a day in a predicted cycle of a pregnant patient (her cycles stop).
    """

    def __init__(self, clinic: Clinic, appointments) -> None:
        pregnant = Course.objects.filter(
            patient=OuterRef("patient_id"), status=CourseStatus.PREGNANT
        )
        starts = (
            PeriodStart.objects.filter(
                status=PeriodStartStatus.APPLIED,
                patient__clinic=clinic,
                patient_id__in=appointments.order_by().values("patient_id"),
            )
            .annotate(pregnant=Exists(pregnant))
            .order_by()
            .values_list(
                "patient_id",
                "date",
                "patient__stated_cycle_length",
                "patient__luteal_length",
                "pregnant",
            )
        )
        # A plain cursor, as for the visits: the ORM's converters would cost more than the rest.
        sql, params = starts.query.sql_with_params()
        with connections[starts.db].cursor() as cursor:
            cursor.execute(sql, params)
            raw = cursor.fetchall()
        found: dict[int, tuple[list, int, int, bool]] = {}
        for patient, day, length, luteal, is_pregnant in raw:
            found.setdefault(patient, ([], length, luteal, bool(is_pregnant)))[0].append(day)
        protocol = clinic_protocol(clinic)
        gap, tolerance = protocol.min_period_gap_days, protocol.missed_period_tolerance_days
        self.estimates: dict[int, tuple[timeline.CycleEstimate, bool]] = {}
        for patient, (days, length, luteal, is_pregnant) in found.items():
            if isinstance(days[0], str):  # SQLite: dates as text
                days = map(dt.date.fromisoformat, days)
            estimate = _estimate(tuple(sorted(days)), length, luteal, gap, tolerance)
            if estimate is not None:
                self.estimates[patient] = (estimate, is_pregnant)

    def __call__(self, patient: int, local_start: str) -> str:
        """The label of her cycle on the day of ``local_start`` ('2026-12-01T09:00')."""
        found = self.estimates.get(patient)
        return "" if found is None else _cycle_label(*found, local_start[:10])


def calendar_rows(
    *,
    clinic: Clinic,
    start: dt.datetime,
    end: dt.datetime,
    room_id: int | None = None,
    clinician_id: int | None = None,
    kind: str = "",
    status: str = "",
) -> list[list]:
    """The appointments starting in [start, end) as rows of ``COLUMNS``: two queries (the
    visits, then their patients' period starts), whatever the number of visits."""
    rows = Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    if room_id:
        rows = rows.filter(room_id=room_id)
    if clinician_id:
        rows = rows.filter(clinician_id=clinician_id)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    else:
        rows = rows.exclude(status=AppointmentStatus.CANCELLED)
    # The ORM's per-value datetime converters cost more than everything else here together on
    # a month of a busy clinic, so the compiled query runs on a plain cursor and _WallClock
    # reads the raw UTC values (text on SQLite, aware datetimes on PostgreSQL).
    sql, params = rows.order_by().values_list(*_FIELDS).query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    if not raw:
        return []
    wall = _WallClock(clinic.zone)
    cycle = _CycleDays(clinic, rows)
    return [
        [
            *(pk, kind_, status_, local, wall(ends), days, patient, f"{first} {last}"),
            *(room, who, rebooking, cycle(patient, local)),
        ]
        for (
            pk,
            kind_,
            status_,
            starts,
            ends,
            days,
            patient,
            first,
            last,
            room,
            who,
            rebooking,
        ) in raw
        for local in (wall(starts),)
    ]
