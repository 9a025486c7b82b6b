"""The demo clinic: patients at every stage of a course, all dates relative to today.

Each patient's history is played forward by the timeline engine: her course starts some weeks
or months ago, and every step whose planned day has passed is recorded as done (harvest, lab
release, infusion, ultrasound result, follow-up). What is left is her plan from today on; the
visits of the coming two weeks are booked into rooms.
"""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from scheduling import demo_course_life, demo_outcomes, timeline
from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    BatchStatus,
    CellBatch,
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
    ThicknessMeasurement,
    User,
)
from scheduling.selectors import courses as selectors
from scheduling.services.planning import course_replan
from scheduling.services.reminders import reminders_sync

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
        demo_course_life.add_course_life(clinic=clinic, today=today, staff=staff)
        demo_outcomes.add_finished_courses(clinic=clinic, today=today, staff=staff)
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
    """Play the course forward from its start with the engine, as the clinic would have:
    every step whose day has passed becomes a recorded fact. Then re-plan from today."""
    responds_after = rng.choice([1, 1, 2, 3, 4])  # 4: never within three infusions
    course_input = selectors.course_input(course, today=course.not_before)
    facts = timeline.Facts()
    followed_up: list[timeline.Step] = []
    for _ in range(24):
        try:
            plan = timeline.plan(dataclasses.replace(course_input, facts=facts))
        except (timeline.PlanRefused, timeline.InvalidCourse):
            break
        step = next(
            (s for s in plan.steps if not s.done and s.kind in FACT_KINDS and s not in followed_up),
            None,
        )
        if step is None or _day_of(step) >= today:
            break
        if step.kind == timeline.StepKind.FOLLOW_UP:
            followed_up.append(step)
        else:
            facts = _fact(facts, step, responds_after)
    _write_history(course, facts, followed_up)
    course_replan(course=course, notify=False)


FACT_KINDS = (
    timeline.StepKind.HARVEST,
    timeline.StepKind.EXPANSION,
    timeline.StepKind.INFUSION,
    timeline.StepKind.ULTRASOUND,
    timeline.StepKind.FOLLOW_UP,
)


def _day_of(step: timeline.Step) -> dt.date:
    if step.kind == timeline.StepKind.EXPANSION:
        return step.ready_from
    return step.date


def _fact(facts: timeline.Facts, step: timeline.Step, responds_after: int) -> timeline.Facts:
    replace = dataclasses.replace
    if step.kind == timeline.StepKind.HARVEST:
        return replace(facts, harvested_on=step.date)
    if step.kind == timeline.StepKind.EXPANSION:
        return replace(
            facts,
            harvested_on=facts.harvested_on or step.date,
            released_on=step.ready_from,
            expires_on=step.ready_from + dt.timedelta(days=180),
        )
    if step.kind == timeline.StepKind.INFUSION:
        return replace(facts, infusions_done=(*facts.infusions_done, step.date))
    mm = 7.6 if step.number >= responds_after else 5.9
    return replace(facts, thickness_results=(*facts.thickness_results, (step.date, mm)))


def _write_history(course: Course, facts: timeline.Facts, followed_up: list[timeline.Step]) -> None:
    clinic = course.clinic
    if facts.harvested_on is None:
        return
    if course.source != CellSource.UMBILICAL_CORD:
        _done(course, "harvest", AppointmentKind.HARVEST, facts.harvested_on)
    start = facts.harvested_on
    CellBatch.objects.create(
        clinic=clinic,
        course=course,
        lot_number=f"DEMO-{course.pk:04d}",
        source=course.source,
        expansion_started_on=start,
        expected_ready_from=start + dt.timedelta(days=clinic.expansion_min_days),
        expected_ready_by=start + dt.timedelta(days=clinic.expansion_max_days),
        status=BatchStatus.RELEASED if facts.released_on else BatchStatus.EXPANDING,
        progress_note="" if facts.released_on else "Passage 2, growing as expected",
        qc_released_on=facts.released_on,
        qc_identity=bool(facts.released_on),
        qc_purity=bool(facts.released_on),
        qc_viability=bool(facts.released_on),
        qc_sterility=bool(facts.released_on),
        doses=3,
        doses_used=len(facts.infusions_done),
        expires_on=facts.expires_on,
    )
    for number, day in enumerate(facts.infusions_done, 1):
        _done(course, f"infusion-{number}", AppointmentKind.INFUSION, day)
    for number, (day, mm) in enumerate(facts.thickness_results, 1):
        ultrasound = _done(course, f"ultrasound-{number}", AppointmentKind.ULTRASOUND, day)
        ThicknessMeasurement.objects.create(
            course=course, appointment=ultrasound, measured_on=day, thickness_mm=Decimal(str(mm))
        )
    for step in followed_up:
        _done(course, step.key, AppointmentKind.FOLLOW_UP, step.date)


def _done(course: Course, key: str, kind: str, day: dt.date) -> Appointment:
    starts_at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=course.clinic.zone)
    return Appointment.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        step_key=key,
        kind=kind,
        status=AppointmentStatus.DONE,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=VISIT_MINUTES[kind]),
    )


def _book_upcoming(clinic, today, rooms, physician, consult_patients) -> None:
    """Book the next two weeks' visits into rooms, and first consultations from today on."""
    procedure_rooms, ultrasound_room = rooms[:2], rooms[2]
    busy: list[tuple] = []  # (starts, ends, room, clinician, patient) of what is booked
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
        if not _place(appointment, room, physician, busy, clinic):
            continue  # the day is full: the visit stays tentative
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
        if not _place(appointment, procedure_rooms[0], physician, busy, clinic, day=consult_day):
            continue
        appointment.save()
        reminders_sync(appointment=appointment)


def _place(appointment, room, clinician, busy, clinic, day=None) -> bool:
    """The first quarter hour from 09:00 local time that day when the room, the clinician and
    the patient are all free (nobody is ever double-booked); False when the day is full."""
    zone = clinic.zone
    day = day or appointment.starts_at.astimezone(zone).date()
    length = dt.timedelta(minutes=VISIT_MINUTES[appointment.kind])
    who = clinician.pk if appointment.kind != AppointmentKind.ULTRASOUND else None
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=zone)
    closes = dt.datetime.combine(day, clinic.closes_at, tzinfo=zone)
    while start + length <= closes:
        end = start + length
        if not any(
            taken_start < end
            and start < taken_end
            and (r == room.pk or (who is not None and c == who) or p == appointment.patient_id)
            for taken_start, taken_end, r, c, p in busy
        ):
            appointment.starts_at, appointment.ends_at = start, end
            appointment.room = room
            appointment.clinician = clinician if who is not None else None
            appointment.uncertainty_days = 0
            busy.append((start, end, room.pk, who, appointment.patient_id))
            return True
        start += dt.timedelta(minutes=15)
    return False


def _next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _next_open(clinic: Clinic, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() not in clinic.open_weekday_numbers:
        day += dt.timedelta(days=1)
    return day
