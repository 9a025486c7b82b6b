"""Reads for the outcomes report: the courses started in a period as ``CourseRecord``s.

Four queries whatever the clinic's size (the courses with their stored decided responses,
their done infusions, their thickness results, their outcomes). The decided response is the
engine's one rule, stored on the course by its re-plan (``Course.response_on``/``response_mm``,
``reports.responses``), so the report reads it and never runs the engine. A course *started*
on its start day (``Course.not_before``, the earliest day of its first visit); the period holds
courses that started in it, up to today.

``cached_report`` keeps a report's figures (not its records) in the cache, keyed by the
clinic's latest audit event on a record the report reads: every write to those records leaves
an event in its own transaction (``scheduling.audit``; tests/security/test_audit_paths.py
holds every write path to it), so a new event means new figures, and one indexed query
decides whether the figures in the cache still stand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from scheduling.audit_fields import object_type
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditAction,
    AuditEvent,
    CellSource,
    Clinic,
    ClosedDate,
    Course,
    CourseOutcome,
    Diagnosis,
    Patient,
    PeriodStart,
    ThicknessMeasurement,
)
from scheduling.reports.cohort import CourseRecord, Event, Figures, curves, summarise

ASHERMAN_PREFIX = f"{Diagnosis.ASHERMAN}:"


@dataclass(frozen=True, slots=True)
class ReportFilter:
    since: dt.date
    until: dt.date
    source: str = ""
    route: str = ""
    diagnosis: str = ""  # "thin-endometrium", "asherman", or "asherman:<severity>"
    infusions: int | None = None  # infusions given


@dataclass
class Report:
    clinic: Clinic
    filter: ReportFilter
    records: list[CourseRecord]
    figures: Figures
    curves: dict


def default_period(clinic: Clinic, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The three years to today."""
    today = today or timezone.localdate(timezone=clinic.zone)
    return today.replace(year=today.year - 3) + dt.timedelta(days=1), today


def cohort(*, clinic: Clinic, flt: ReportFilter) -> QuerySet[Course]:
    """The courses of the clinic started in the period that match the filters."""
    today = timezone.localdate(timezone=clinic.zone)
    courses = Course.objects.filter(
        clinic=clinic, not_before__gte=flt.since, not_before__lte=min(flt.until, today)
    )
    if flt.source:
        courses = courses.filter(source=flt.source)
    if flt.route:
        courses = courses.filter(route=flt.route)
    if flt.diagnosis.startswith(ASHERMAN_PREFIX):
        courses = courses.filter(
            patient__diagnosis=Diagnosis.ASHERMAN,
            patient__asherman_severity=flt.diagnosis.removeprefix(ASHERMAN_PREFIX),
        )
    elif flt.diagnosis:
        courses = courses.filter(patient__diagnosis=flt.diagnosis)
    if flt.infusions is not None:
        given = Count(
            "appointments",
            filter=Q(
                appointments__kind=AppointmentKind.INFUSION,
                appointments__status=AppointmentStatus.DONE,
            ),
        )
        courses = courses.annotate(given=given).filter(given=flt.infusions)
    return courses


def _mm(field: str) -> Cast:
    """A thickness (one decimal) read as a float: no Decimal built per row."""
    return Cast(field, FloatField())


def course_records(*, clinic: Clinic, flt: ReportFilter) -> list[CourseRecord]:
    courses = cohort(clinic=clinic, flt=flt)
    ids = courses.values("pk")
    rows = list(
        courses.annotate(
            own_mm=_mm("thickness_threshold_mm"),
            baseline_mm=_mm("patient__baseline_thickness_mm"),
            decided_mm=_mm("response_mm"),
        ).values_list(
            "pk", "patient_id", "source", "route", "status", "own_mm", "not_before",
            "patient__diagnosis", "patient__asherman_severity", "baseline_mm",
            "patient__date_of_birth", "decided_mm",
        ).order_by("not_before", "pk")
    )  # fmt: skip
    if not rows:
        return []
    zone = clinic.zone
    infusions: dict[int, list[dt.date]] = defaultdict(list)
    visits = Appointment.objects.filter(
        course__in=ids, status=AppointmentStatus.DONE, kind=AppointmentKind.INFUSION
    ).values_list("course_id", "starts_at")
    for course_id, starts_at in visits:
        infusions[course_id].append(starts_at.astimezone(zone).date())
    results: dict[int, list[tuple[dt.date, float]]] = defaultdict(list)
    measured = (
        ThicknessMeasurement.objects.filter(course__in=ids)
        .annotate(mm=_mm("thickness_mm"))
        .order_by("course_id", "measured_on", "pk")
    )
    for course_id, on, mm in measured.values_list("course_id", "measured_on", "mm"):
        results[course_id].append((on, mm))
    events: dict[int, list[Event]] = defaultdict(list)
    outcomes = CourseOutcome.objects.filter(course__in=ids).order_by("occurred_on", "pk")
    for course_id, kind, on, positive in outcomes.values_list(
        "course_id", "kind", "occurred_on", "positive"
    ):
        events[course_id].append(Event(kind, on, positive))
    threshold = float(clinic.thickness_threshold_mm)
    records = []
    for (
        pk, patient_id, source, route, status, own_threshold, started, diagnosis, severity,
        baseline, born, response,
    ) in rows:  # fmt: skip
        records.append(
            CourseRecord(
                key=pk,
                patient=patient_id,
                source=source,
                route=route,
                diagnosis=diagnosis,
                severity=severity,
                status=status,
                threshold_mm=threshold if own_threshold is None else own_threshold,
                baseline_mm=baseline,
                response_mm=response,
                infusions=tuple(sorted(infusions.get(pk, ()))),
                results=tuple(results.get(pk, ())),
                events=tuple(events.get(pk, ())),
                age_band=age_band(born, started),
            )
        )
    return records


def age_band(born: dt.date | None, on: dt.date) -> str:
    """Her age on ``on`` in a five-year band ("35-39"); empty when not recorded."""
    if born is None:
        return ""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    low = age - age % 5
    return f"{low}-{low + 4}"


def outcomes_report(*, clinic: Clinic, flt: ReportFilter) -> Report:
    records = course_records(clinic=clinic, flt=flt)
    figures = summarise(records, float(clinic.thickness_threshold_mm))
    return Report(clinic, flt, records, figures, curves(records))


SOURCE_LABELS = dict(CellSource.choices)
# What the report reads: a change to any of these changes its figures.
READS = tuple(
    object_type(model)
    for model in (
        Clinic, ClosedDate, Patient, PeriodStart, Course, Appointment, ThicknessMeasurement,
        CourseOutcome,
    )
)  # fmt: skip
CACHE_SECONDS = 24 * 3600


def data_version(clinic: Clinic) -> str:
    """The clinic's latest audit event on a record the report reads ("" when none)."""
    latest = (
        AuditEvent.objects.filter(clinic=clinic, object_type__in=READS)
        .exclude(action=AuditAction.VIEW)
        .order_by("-at", "-id")
        .values_list("id", "at")
        .first()
    )
    return "" if latest is None else f"{latest[0]}@{latest[1].timestamp()}"


def cached_report(*, clinic: Clinic, flt: ReportFilter) -> Report:
    """The report's figures and curves (without its records), from the cache while the
    records it reads are unchanged."""
    today = timezone.localdate(timezone=clinic.zone)
    inputs = f"{clinic.pk}:{data_version(clinic)}:{today}:{flt!r}"
    key = "outcomes-report:" + hashlib.sha256(inputs.encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        report = outcomes_report(clinic=clinic, flt=flt)
        cached = (report.figures, report.curves)
        cache.set(key, cached, CACHE_SECONDS)
    figures, curves_ = cached
    return Report(clinic, flt, [], figures, curves_)
