"""Consent to a course (DESIGN.md §2): the one answer to "does this course have consent in
force?", read by the services that book or record a harvest or an infusion, by the patient page
and by the calendar's allowed-day shading.

Consent is in force on a day when a consent form for the course was signed on or before that
day and has not been withdrawn. A withdrawal closes the course (services/consent.py), so a
withdrawn consent is only ever met on a closed course.
"""

import datetime as dt
from collections.abc import Iterable

from scheduling.models import AppointmentKind, Course, CourseConsent

# The steps that need consent before they are booked, moved or recorded as done.
GATED_KINDS = (AppointmentKind.HARVEST, AppointmentKind.INFUSION)
MISSING = (
    "No consent is recorded for this course: record the signed consent form (version, date, "
    "witness) before {action}."
)
WITHDRAWN = (
    "The patient withdrew her consent to this course on {on:%a %-d %b %Y}: {action} is not "
    "possible."
)
SIGNED_LATER = (
    "The consent form for this course was signed on {signed:%a %-d %b %Y}, after "
    "{on:%a %-d %b %Y}: record a consent form signed on or before that day before {action}."
)


def consents_of(course: Course) -> list[CourseConsent]:
    """Every consent recorded for the course, oldest first, with who recorded it."""
    return list(course.consents.select_related("recorded_by").order_by("signed_on", "pk"))


def consent_in_force(course: Course, on: dt.date | None = None) -> CourseConsent | None:
    """The consent in force for the course (on day ``on``, when given), or None."""
    consents = course.consents.filter(withdrawn_on__isnull=True)
    if on is not None:
        consents = consents.filter(signed_on__lte=on)
    return consents.order_by("-signed_on", "-pk").first()


def has_consent(course: Course, on: dt.date | None = None) -> bool:
    return consent_in_force(course, on) is not None


def courses_with_consent(course_ids: Iterable[int]) -> frozenset[int]:
    """Of these courses, those with consent in force: one query, for pages that show many."""
    ids = [pk for pk in course_ids if pk is not None]
    if not ids:
        return frozenset()
    rows = CourseConsent.objects.filter(course_id__in=ids, withdrawn_on__isnull=True)
    return frozenset(rows.values_list("course_id", flat=True))


def consent_refusal(course: Course, action: str, on: dt.date | None = None) -> str:
    """Why ``action`` (e.g. "booking the infusion") needs consent first; "" when it is in
    force. ``on``: the day the step happens, when it matters (a step recorded as done)."""
    if has_consent(course, on):
        return ""
    withdrawn = course.consents.filter(withdrawn_on__isnull=False).order_by("-withdrawn_on")
    latest = withdrawn.first()
    if latest is not None and not course.consents.filter(withdrawn_on__isnull=True).exists():
        return WITHDRAWN.format(on=latest.withdrawn_on, action=action)
    if on is not None:
        signed_later = consent_in_force(course)
        if signed_later is not None:
            return SIGNED_LATER.format(signed=signed_later.signed_on, on=on, action=action)
    return MISSING.format(action=action)


def step_action(kind: str, verb: str) -> str:
    """ "booking the infusion", "recording the harvest as done"."""
    what = "the harvest" if kind == AppointmentKind.HARVEST else "the infusion"
    if verb == "done":
        return f"recording {what} as done"
    return f"{verb} {what}"
