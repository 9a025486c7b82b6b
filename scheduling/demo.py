"""The demo clinic: patients at every stage of a course, all dates relative to today.

Each patient's history is simulated through the same services a coordinator uses: her course
starts some weeks or months ago, and every step whose planned day has passed is recorded as
done (harvest, lab release, infusion, ultrasound result, follow-up). What is left is her plan
from today on; the visits of the coming two weeks are booked into rooms.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CellSource,
    Clinic,
    ClosedDate,
    Course,
    Diagnosis,
    Membership,
    Patient,
    PeriodStart,
    ReportedBy,
    Role,
    Room,
    Route,
    User,
)
from scheduling.services import recording
from scheduling.services.planning import course_replan

DEMO_SLUG = "demo"
STAFF = [
    ("coordinator", "Cora", "Nolan", Role.COORDINATOR),
    ("physician", "Dr Priya", "Shah", Role.PHYSICIAN),
    ("lab", "Luis", "Ortega", Role.LAB),
    ("clinicadmin", "Ada", "Moreau", Role.ADMIN),
]
FIRST_NAMES = [
    "Amara", "Beatriz", "Chloe", "Dana", "Elif", "Fatima", "Grace", "Hana", "Ines", "Julia",
    "Keiko", "Lena", "Maya", "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Tara", "Uma",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Bianchi", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Murphy", "Novak", "Okafor", "Patel", "Quinn", "Rossi",
    "Silva", "Tanaka",
]  # fmt: skip
SOURCES = [CellSource.BONE_MARROW, CellSource.ADIPOSE, CellSource.MENSTRUAL_BLOOD,
           CellSource.UMBILICAL_CORD]  # fmt: skip
CONSULTS = 5  # patients with a first consultation and no course yet
COURSES = 35  # patients with a course, started between 0 and ~14 months ago


def load_demo(*, password: str) -> bool:
    """Create the demo clinic; False (and nothing changed) when it already exists."""
    if Clinic.objects.filter(slug=DEMO_SLUG).exists():
        return False
    rng = random.Random(20261124)  # noqa: S311 - demo data, not security
    with transaction.atomic():
        clinic = Clinic.objects.create(
            name="Demo Fertility Clinic",
            slug=DEMO_SLUG,
            time_zone="Europe/London",
            phone="+44 20 7946 0123",
            email="coordinators@demo-clinic.example",
        )
        today = timezone.localdate(timezone=clinic.zone)
        ClosedDate.objects.create(
            clinic=clinic, date=_next_weekday(today + dt.timedelta(days=20)), reason="Staff day"
        )
        rooms = [
            Room.objects.create(clinic=clinic, name=name)
            for name in ("Procedure room 1", "Procedure room 2", "Ultrasound room")
        ]
        staff = {}
        for username, first, last, role in STAFF:
            user = User.objects.create_user(
                username=username,
                password=password,
                first_name=first,
                last_name=last,
                email=f"{username}@demo-clinic.example",
            )
            Membership.objects.create(user=user, clinic=clinic, role=role)
            staff[role] = user
        patients = [_patient(clinic, number, rng) for number in range(CONSULTS + COURSES)]
        for patient in patients[:CONSULTS]:
            _periods(patient, today - dt.timedelta(days=120), today, rng)
        for index, patient in enumerate(patients[CONSULTS:]):
            started = today - dt.timedelta(days=int(index * 430 / COURSES))
            _periods(patient, started - dt.timedelta(days=120), today, rng)
            course = Course.objects.create(
                clinic=clinic,
                patient=patient,
                source=SOURCES[index % len(SOURCES)],
                route=Route.INTRAUTERINE_ARTERY if index % 7 == 3 else Route.INTRAUTERINE,
                planned_infusions=1 + index % 2,
                not_before=started,
                created_by=staff[Role.COORDINATOR],
            )
            _simulate(course, today, rng)
        _book_upcoming(clinic, today, rooms, staff[Role.PHYSICIAN], patients[:CONSULTS])
    return True


def _patient(clinic: Clinic, number: int, rng: random.Random) -> Patient:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number * 7) % len(LAST_NAMES)]
    return Patient.objects.create(
        clinic=clinic,
        mrn=f"DEMO{number + 1:04d}",
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@patients.example",
        phone=f"+44 7700 900{number:03d}",
        time_zone="Europe/London",
        stated_cycle_length=28,
        diagnosis=Diagnosis.ASHERMAN if number % 3 == 0 else Diagnosis.THIN_ENDOMETRIUM,
        baseline_thickness_mm=Decimal(rng.choice(["4.2", "4.8", "5.1", "5.5", "6.0", "6.4"])),
        prior_treatments="Oestrogen therapy" + (", hysteroscopic adhesiolysis" * (number % 3 == 0)),
        consent_version="2026-03",
        consent_date=timezone.localdate() - dt.timedelta(days=30),
    )


def _periods(patient: Patient, start: dt.date, today: dt.date, rng: random.Random) -> None:
    """Reported CD1s from `start` to today; every fifth patient has irregular cycles."""
    irregular = patient.pk % 5 == 0
    length = rng.choice([26, 27, 28, 29, 30, 32])
    day = start
    days = []
    while day <= today:
        days.append(day)
        jitter = rng.randint(-6, 6) if irregular else rng.randint(-1, 1)
        day += dt.timedelta(days=length + jitter)
    PeriodStart.objects.bulk_create(
        PeriodStart(patient=patient, date=day, reported_by=ReportedBy.PATIENT) for day in days
    )


def _simulate(course: Course, today: dt.date, rng: random.Random) -> None:
    """Record as done every step whose day has passed, as the clinic would have."""
    responds_after = rng.choice([1, 1, 2, 3])
    for _ in range(24):
        try:
            plan = course_replan(course=course, notify=False).plan
        except (timeline.PlanRefused, timeline.InvalidCourse):
            return
        step = next((s for s in plan.steps if not s.done and _is_due(s)), None)
        if step is None or _day_of(step) >= today:
            return
        _record(course, step, responds_after)


def _is_due(step: timeline.Step) -> bool:
    return step.kind not in (timeline.StepKind.TRANSFER_WINDOW,)


def _day_of(step: timeline.Step) -> dt.date:
    if step.kind == timeline.StepKind.EXPANSION:
        return step.released_on or step.ready_from or step.date
    return step.date


def _record(course: Course, step: timeline.Step, responds_after: int) -> None:
    kind = step.kind
    if kind == timeline.StepKind.HARVEST:
        recording.harvest_record_done(course=course, on=step.date, notify=False)
    elif kind == timeline.StepKind.EXPANSION:
        batch = course.batches.order_by("-created_at").first()
        if batch is None:  # an umbilical-cord donor lot, allocated at the start
            batch = recording.harvest_record_done(course=course, on=step.date, notify=False)
        recording.batch_release(
            batch=batch,
            released_on=step.ready_from,
            doses=3,
            expires_on=step.ready_from + dt.timedelta(days=180),
            identity=True,
            purity=True,
            viability=True,
            sterility=True,
            notify=False,
        )
    elif kind == timeline.StepKind.ULTRASOUND:
        mm = "7.6" if step.number >= responds_after else "5.9"
        recording.thickness_record(
            course=course, measured_on=step.date, thickness_mm=Decimal(mm), notify=False
        )
    else:
        appointment = course.appointments.get(
            step_key=step.key, status__in=[AppointmentStatus.TENTATIVE]
        )
        recording.appointment_mark_done(appointment=appointment, on=step.date, notify=False)


def _book_upcoming(clinic, today, rooms, physician, consult_patients) -> None:
    """Book the next two weeks' visits into rooms, and first consultations from today on."""
    from scheduling.services.reminders import reminders_sync

    procedure_rooms, ultrasound_room = rooms[:2], rooms[2]
    taken: dict[tuple[int, dt.date], dt.time] = {}
    upcoming = Appointment.objects.filter(
        clinic=clinic,
        status=AppointmentStatus.TENTATIVE,
        starts_at__gte=dt.datetime.combine(today, dt.time.min, tzinfo=clinic.zone),
        starts_at__lt=dt.datetime.combine(
            today + dt.timedelta(days=15), dt.time.min, tzinfo=clinic.zone
        ),
    ).order_by("starts_at")
    for number, appointment in enumerate(upcoming):
        room = (
            ultrasound_room
            if appointment.kind == AppointmentKind.ULTRASOUND
            else procedure_rooms[number % 2]
        )
        _place(appointment, room, physician, taken, clinic)
        appointment.status = (
            AppointmentStatus.CONFIRMED if number % 3 == 0 else AppointmentStatus.BOOKED
        )
        appointment.save()
        reminders_sync(appointment=appointment)
    consult_day = (
        today if today.weekday() in clinic.open_weekday_numbers else _next_open(clinic, today)
    )
    for patient in consult_patients:
        appointment = Appointment(
            clinic=clinic,
            patient=patient,
            kind=AppointmentKind.CONSULT,
            status=AppointmentStatus.BOOKED,
            room=procedure_rooms[0],
            clinician=physician,
        )
        _place(appointment, procedure_rooms[0], physician, taken, clinic, day=consult_day)
        appointment.save()
        reminders_sync(appointment=appointment)


def _place(appointment, room, clinician, taken, clinic, day=None) -> None:
    """The next free half hour of the room that day, from 09:00 local time."""
    zone = clinic.zone
    day = day or appointment.starts_at.astimezone(zone).date()
    start = taken.get((room.pk, day), dt.time(9, 0))
    # The clinician is shared by all rooms: stagger rooms by a quarter of an hour.
    starts_at = dt.datetime.combine(day, start, tzinfo=zone) + dt.timedelta(
        minutes=15 * (room.pk % 3)
    )
    minutes = VISIT_MINUTES[appointment.kind]
    appointment.starts_at = starts_at
    appointment.ends_at = starts_at + dt.timedelta(minutes=minutes)
    appointment.room = room
    appointment.clinician = clinician if appointment.kind != AppointmentKind.ULTRASOUND else None
    appointment.uncertainty_days = 0
    next_start = dt.datetime.combine(day, start) + dt.timedelta(minutes=60)
    taken[(room.pk, day)] = next_start.time()


def _next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _next_open(clinic: Clinic, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() not in clinic.open_weekday_numbers:
        day += dt.timedelta(days=1)
    return day
