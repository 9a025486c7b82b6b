"""Enrolling patients and setting up their courses."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scheduling import timeline
from scheduling.models import Course, Patient, PeriodStart, ReportedBy, User
from scheduling.services import locks, reminders
from scheduling.services.planning import CLOSED_COURSES, course_replan

CYCLE_FIELDS = ("stated_cycle_length", "luteal_length")
MRN_TAKEN = "Another patient of this clinic has this MRN."


def patient_save(*, patient: Patient) -> Patient:
    """Create or update a patient (the form has filled the instance); a new patient is sent
    a welcome email, through the outbox.

    Raises ValidationError, also when a parallel request saved the same MRN first (the
    database refuses the second; its savepoint is rolled back and nothing is written).
    """
    is_new = patient.pk is None
    patient.full_clean()
    try:
        with transaction.atomic():
            cycle_changed = not is_new and _cycle_data_changed(patient)
            patient.save()
            if is_new:
                reminders.welcome_notify(patient=patient)
            if cycle_changed:
                # Her stated cycle or luteal length is what her plans count from.
                courses = list(patient.courses.exclude(status__in=CLOSED_COURSES).order_by("pk"))
                locks.lock_courses(patient.clinic_id, [course.pk for course in courses])
                for course in courses:
                    course_replan(course=course)
    except IntegrityError:
        clash = Patient.objects.filter(clinic_id=patient.clinic_id, mrn__iexact=patient.mrn)
        if clash.exclude(pk=patient.pk).exists():
            raise ValidationError({"mrn": MRN_TAKEN}) from None
        raise
    return patient


def _cycle_data_changed(patient: Patient) -> bool:
    before = Patient.objects.filter(pk=patient.pk).values_list(*CYCLE_FIELDS).first()
    return before != tuple(getattr(patient, name) for name in CYCLE_FIELDS)


def course_save(
    *, course: Course, period_start: dt.date | None = None, actor: User | None = None
) -> Course:
    """Create or update a course and plan it; nothing is saved when the engine refuses.

    `period_start`: a cycle day 1 the coordinator entered with the course (the first one the
    clinic hears of, typically).

    Raises ``timeline.PlanRefused`` or ``timeline.InvalidCourse``.
    """
    is_new = course.pk is None
    with transaction.atomic():
        if is_new:
            course.created_by = actor
        course.full_clean()
        course.save()
        if period_start is not None:
            PeriodStart.objects.get_or_create(
                patient=course.patient,
                date=period_start,
                defaults={"reported_by": ReportedBy.STAFF, "reported_by_user": actor},
            )
        # A new course's patient has nothing to be told about yet: no email on creation.
        result = course_replan(course=course, notify=not is_new)
        if result.problem:
            raise timeline.PlanRefused(result.problem)  # rolls the course back
    return course
