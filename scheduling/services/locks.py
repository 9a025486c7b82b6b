"""The one lock order every write path takes: the clinic, then a course, then appointments.

Services that make a slot, a dose or a course's plan change lock through these functions, once
and in this order (pretix's locking rule; saleor keeps its lock queries in one module the same
way). The clinic row is the enclosing lock: two coordinators booking the same empty slot queue
behind it, since an empty slot has no row to lock. On SQLite the IMMEDIATE transaction mode
serialises writers anyway; these calls are what make PostgreSQL behave the same.
"""

from django.db import connection
from django.db.models import QuerySet

from scheduling.models import Appointment, Clinic, Course


def lock_clinic(clinic_id: int) -> None:
    if connection.features.has_select_for_update:  # SQLite: its write lock serialises anyway
        list(Clinic.objects.select_for_update().filter(pk=clinic_id).values_list("pk"))


def lock_course(course_id: int, clinic_id: int | None = None) -> Course:
    """The course, locked after its clinic, with its clinic and patient loaded."""
    if connection.features.has_select_for_update:
        if clinic_id is None:
            clinic_id = Course.objects.values_list("clinic_id", flat=True).get(pk=course_id)
        lock_clinic(clinic_id)
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient")
        .get(pk=course_id)
    )


def lock_courses(clinic_id: int, course_ids: list[int]) -> None:
    """Several courses of one clinic (a patient's open courses), in primary-key order."""
    lock_clinic(clinic_id)
    list(Course.objects.select_for_update().filter(pk__in=course_ids).order_by("pk").values("pk"))


def locked_appointments(course: Course) -> list[Appointment]:
    """Every appointment of a locked course, locked, in primary-key order, read fresh."""
    return list(
        course.appointments.select_for_update(of=("self",)).select_related("room").order_by("pk")
    )


def lock_appointment(appointment_id: int) -> Appointment:
    """An appointment after its clinic and course, with what its checks read loaded."""
    clinic_id, course_id = Appointment.objects.values_list("clinic_id", "course_id").get(
        pk=appointment_id
    )
    if course_id is not None:
        lock_course(course_id)
    else:
        lock_clinic(clinic_id)
    queryset: QuerySet[Appointment] = Appointment.objects.select_for_update(of=("self",))
    return queryset.select_related("clinic", "course", "patient").get(pk=appointment_id)
