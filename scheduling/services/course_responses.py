"""Fill every course's stored decided response (``Course.response_on``/``response_mm``).

The re-plan keeps them current (``services.planning``); this fills them for courses whose last
re-plan ran before they existed (migration 0010) or that were written without one (the bench's
bulk seed). Batched: a handful of queries per ``batch_size`` courses, then the engine's reading
(``reports.responses.decided_response``) per course. ``apps``: a migration's historical app
registry; plain field reads only, so it works on either.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps as live_apps

from scheduling import timeline
from scheduling.models.clinics import WEEKDAY_NAMES
from scheduling.reports.responses import decided_response

DONE, INFUSION, APPLIED = "done", "infusion", "applied"


def course_responses_fill(
    *, apps=None, course_ids: list[int] | None = None, batch_size: int = 500
) -> int:
    """Store each course's (or those of ``course_ids``) decided response; returns how many
    courses changed."""
    registry = apps or live_apps
    Course = registry.get_model("scheduling", "Course")
    Clinic = registry.get_model("scheduling", "Clinic")
    ClosedDate = registry.get_model("scheduling", "ClosedDate")
    clinics = {}
    for pk, zone, weekdays in Clinic.objects.values_list("pk", "time_zone", "open_weekdays"):
        open_days = frozenset(
            WEEKDAY_NAMES.index(name.strip())
            for name in weekdays.split(",")
            if name.strip() in WEEKDAY_NAMES
        )
        clinics[pk] = (ZoneInfo(zone), open_days)
    closed: dict[int, set] = defaultdict(set)
    for clinic_id, day in ClosedDate.objects.values_list("clinic_id", "date"):
        closed[clinic_id].add(day)
    closed_days = {pk: frozenset(closed.get(pk, ())) for pk in clinics}
    courses = Course.objects.order_by("pk")
    if course_ids is not None:
        courses = courses.filter(pk__in=course_ids)
    ids = list(courses.values_list("pk", flat=True))
    changed = 0
    for at in range(0, len(ids), batch_size):
        changed += _fill(registry, ids[at : at + batch_size], clinics, closed_days)
    return changed


def _fill(registry, ids: list[int], clinics: dict, closed_days: dict) -> int:
    Course = registry.get_model("scheduling", "Course")
    Appointment = registry.get_model("scheduling", "Appointment")
    ThicknessMeasurement = registry.get_model("scheduling", "ThicknessMeasurement")
    PeriodStart = registry.get_model("scheduling", "PeriodStart")
    courses = list(Course.objects.filter(pk__in=ids).select_related("patient"))
    infusions: dict[int, list] = defaultdict(list)
    ultrasound_keys: dict[int, str] = {}
    visits = Appointment.objects.filter(course_id__in=ids, status=DONE).values_list(
        "course_id", "clinic_id", "pk", "kind", "starts_at", "step_key"
    )
    for course_id, clinic_id, pk, kind, starts_at, step_key in visits:
        if kind == INFUSION:
            infusions[course_id].append(starts_at.astimezone(clinics[clinic_id][0]).date())
        if step_key.startswith("ultrasound-"):
            ultrasound_keys[pk] = step_key
    results: dict[int, list[timeline.Thickness]] = defaultdict(list)
    measured = ThicknessMeasurement.objects.filter(course_id__in=ids).order_by(
        "course_id", "measured_on", "pk"
    )
    for course_id, on, mm, appointment_id in measured.values_list(
        "course_id", "measured_on", "thickness_mm", "appointment_id"
    ):
        results[course_id].append(
            timeline.Thickness(on, float(mm), ultrasound_keys.get(appointment_id))
        )
    starts: dict[int, list] = defaultdict(list)
    periods = PeriodStart.objects.filter(
        patient_id__in={course.patient_id for course in courses}, status=APPLIED
    ).order_by("patient_id", "date")
    for patient_id, day in periods.values_list("patient_id", "date"):
        starts[patient_id].append(day)
    protocol = timeline.Protocol()  # the reading's parameters are the protocol's, not settings
    updated = []
    for course in courses:
        decided = decided_response(
            tuple(starts.get(course.patient_id, ())),
            course.patient.stated_cycle_length,
            course.patient.luteal_length,
            clinics[course.clinic_id][1],
            closed_days[course.clinic_id],
            protocol,
            tuple(sorted(infusions.get(course.pk, ()))),
            tuple(results.get(course.pk, ())),
        )
        on, mm = (None, None) if decided is None else (decided[0], Decimal(f"{decided[1]:.1f}"))
        if course.response_on != on or course.response_mm != mm:
            course.response_on, course.response_mm = on, mm
            updated.append(course)
    Course.objects.bulk_update(updated, ["response_on", "response_mm"])
    return len(updated)
