"""The demo clinic: patients at every stage of a course, all dates relative to today.

Each patient's history is played forward by the timeline engine: her course starts some weeks
or months ago, and every step whose planned day has passed is recorded as done (harvest, lab
release, infusion, ultrasound result, follow-up). What is left is her plan from today on; the
visits of the coming two weeks are booked into rooms, and past ones took place in them: nobody
is ever in two places at once. What a coordinator meets on a first morning is there too: an
ultrasound awaiting its result, a booked visit a closure left needing re-booking, and no
tentative visit left behind in the past, whatever the hour the demo is loaded at.
"""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from scheduling import demo_course_life, demo_outcomes, timeline
from scheduling.demo_diary import LAST_HOURS, QUARTER, Diary
from scheduling.demo_people import STAFF, patient_email, patient_name
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
    ThicknessMeasurement,
    User,
)
from scheduling.selectors import courses as selectors
from scheduling.services.planning import course_replan
from scheduling.services.reminders import reminders_sync

DEMO_SLUG = "demo"
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
        now = timezone.localtime(timezone=clinic.zone)
        today = now.date()
        # Late in the day, today's visits have taken place: the history runs to tomorrow.
        late = now.time() >= (dt.datetime.combine(today, clinic.closes_at) - LAST_HOURS).time()
        history_until = today + dt.timedelta(days=1) if late else today
        ClosedDate.objects.create(
            clinic=clinic, date=_next_weekday(today + dt.timedelta(days=20)), reason="Staff day"
        )
        procedures = ["consult", "harvest", "infusion", "embryo-transfer", "follow-up"]
        rooms = [
            Room.objects.create(clinic=clinic, name=name, visit_kinds=kinds)
            for name, kinds in (
                ("Procedure room 1", procedures),
                ("Procedure room 2", procedures),
                ("Ultrasound room", ["ultrasound", "follow-up"]),
            )
        ]
        staff, clinicians = {}, []
        for username, first, last, role in STAFF:
            user = User.objects.create_user(
                username=username,
                password=password,
                first_name=first,
                last_name=last,
                email=f"{username}@demo-clinic.example",
            )
            Membership.objects.create(user=user, clinic=clinic, role=role)
            staff.setdefault(role, user)
            clinicians += [user] if role == Role.PHYSICIAN else []
        diary = Diary(clinic, rooms, clinicians, now)
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
            _simulate(course, history_until, rng, diary)
        _await_one_result(clinic, today)
        _book_upcoming(clinic, today, diary, patients[:CONSULTS])
        _flag_one_for_rebooking(clinic, today)
        demo_outcomes.add_finished_courses(clinic=clinic, today=today, staff=staff)
        demo_course_life.add_course_life(clinic=clinic, today=today, staff=staff)
        _nothing_tentative_in_the_past(clinic, diary)
    return True


def _patient(clinic: Clinic, number: int, rng: random.Random) -> Patient:
    first, last = patient_name(number)
    return Patient.objects.create(
        clinic=clinic,
        mrn=f"DEMO{number + 1:04d}",
        first_name=first,
        last_name=last,
        email=patient_email(first, last),
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
    irregular = int(patient.mrn.removeprefix("DEMO")) % 5 == 0  # by MRN: the same on every load
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


def _simulate(course: Course, today: dt.date, rng: random.Random, diary: Diary) -> None:
    """Play the course forward from its start with the engine, as the clinic would have:
    every step whose day is before `today` becomes a recorded fact. Then re-plan from today."""
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
    _write_history(course, facts, followed_up, diary)
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
    if step.kind in demo_outcomes.NOT_MEASURED:
        return demo_outcomes.step_done(facts, step)
    mm = 7.6 if step.number >= responds_after else 5.9
    return demo_outcomes.step_done(facts, step, thickness_mm=mm)


def _write_history(
    course: Course, facts: timeline.Facts, followed_up: list[timeline.Step], diary: Diary
) -> None:
    if facts.harvested_on is None:
        return
    if course.source != CellSource.UMBILICAL_CORD:
        _done(course, "harvest", AppointmentKind.HARVEST, facts.harvested_on, diary)
    demo_outcomes.past_batch(
        course,
        facts,
        lot_number=f"DEMO-{course.pk:04d}",
        progress_note="Passage 2, growing as expected",
    )
    for number, day in enumerate(facts.infusions_done, 1):
        _done(course, f"infusion-{number}", AppointmentKind.INFUSION, day, diary)
    for number, (day, mm) in enumerate(facts.thickness_results, 1):
        ultrasound = _done(course, f"ultrasound-{number}", AppointmentKind.ULTRASOUND, day, diary)
        ThicknessMeasurement.objects.create(
            course=course, appointment=ultrasound, measured_on=day, thickness_mm=Decimal(str(mm))
        )
    for step in followed_up:
        _done(course, step.key, AppointmentKind.FOLLOW_UP, step.date, diary)


def _done(course: Course, key: str, kind: str, day: dt.date, diary: Diary) -> Appointment:
    appointment = Appointment(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        step_key=key,
        kind=kind,
        status=AppointmentStatus.DONE,
    )
    if not diary.place(appointment, day):  # a full day: it took place without a booking
        appointment.starts_at = dt.datetime.combine(day, dt.time(8, 0), tzinfo=course.clinic.zone)
        appointment.ends_at = appointment.starts_at + dt.timedelta(minutes=VISIT_MINUTES[kind])
    appointment.save()
    return appointment


def _book_upcoming(clinic, today, diary: Diary, consult_patients) -> None:
    """Book the next two weeks' visits into rooms, and first consultations from today on."""
    upcoming = Appointment.objects.filter(
        clinic=clinic,
        status=AppointmentStatus.TENTATIVE,
        starts_at__gte=dt.datetime.combine(today, dt.time.min, tzinfo=clinic.zone),
        starts_at__lt=dt.datetime.combine(
            today + dt.timedelta(days=15), dt.time.min, tzinfo=clinic.zone
        ),
    ).order_by("starts_at")
    for number, appointment in enumerate(upcoming):
        appointment.status = (
            AppointmentStatus.CONFIRMED if number % 3 == 0 else AppointmentStatus.BOOKED
        )
        if not diary.place(appointment, appointment.starts_at.astimezone(clinic.zone).date()):
            continue  # the day is full: the visit stays tentative
        appointment.save()
        reminders_sync(appointment=appointment)
    consult_day = today
    while not _can_consult(clinic, consult_day, diary):
        consult_day = _next_open(clinic, consult_day)
    for patient in consult_patients:
        appointment = Appointment(
            clinic=clinic, patient=patient, kind=AppointmentKind.CONSULT,
            status=AppointmentStatus.BOOKED,
        )  # fmt: skip
        if diary.place(appointment, consult_day, rooms=diary.procedure_rooms[:1]):
            appointment.save()
            reminders_sync(appointment=appointment)


def _can_consult(clinic: Clinic, day: dt.date, diary: Diary) -> bool:
    """An open day with time left for consultations (today: not too late)."""
    closes = dt.datetime.combine(day, clinic.closes_at, tzinfo=clinic.zone)
    return day.weekday() in clinic.open_weekday_numbers and closes - LAST_HOURS > diary.now


def _await_one_result(clinic: Clinic, today: dt.date) -> None:
    """The latest ultrasound done in the last seven weeks, its course's last visit so far, waits
    for the physician to record its result (needs-attention lists it for 60 days)."""
    since = _midnight(clinic, today - dt.timedelta(weeks=7))
    done = Appointment.objects.filter(clinic=clinic, status=AppointmentStatus.DONE)
    for ultrasound in done.filter(kind=AppointmentKind.ULTRASOUND, starts_at__gte=since).order_by(
        "-starts_at"
    ):
        if not done.filter(course=ultrasound.course, starts_at__gt=ultrasound.starts_at).exists():
            ThicknessMeasurement.objects.filter(appointment=ultrasound).delete()
            course_replan(course=ultrasound.course, notify=False)
            return


def _flag_one_for_rebooking(clinic: Clinic, today: dt.date) -> None:
    """An unplanned closure on a day with one booked course visit: that visit stays where it
    is, flagged "needs re-booking" with the reason, for a coordinator to move."""
    booked = Appointment.objects.filter(
        clinic=clinic,
        course__isnull=False,
        status=AppointmentStatus.BOOKED,
        starts_at__gte=dt.datetime.combine(
            today + dt.timedelta(days=2), dt.time.min, tzinfo=clinic.zone
        ),
    ).order_by("starts_at")
    by_day: dict[dt.date, list[Appointment]] = {}
    for appointment in booked:
        by_day.setdefault(appointment.starts_at.astimezone(clinic.zone).date(), []).append(
            appointment
        )
    closed = set(ClosedDate.objects.filter(clinic=clinic).values_list("date", flat=True))
    candidates = [day for day in by_day if day not in closed]
    if not candidates:
        return
    day = min(candidates, key=lambda day: (len(by_day[day]), day))
    ClosedDate.objects.create(clinic=clinic, date=day, reason="Heating repair (unplanned)")
    starts = dt.datetime.combine(day, dt.time.min, tzinfo=clinic.zone)
    on_that_day = Appointment.objects.filter(
        clinic=clinic,
        course__isnull=False,
        starts_at__gte=starts,
        starts_at__lt=starts + dt.timedelta(days=1),
    ).exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.DONE))
    for course_id in sorted(set(on_that_day.values_list("course_id", flat=True))):
        course_replan(course=Course.objects.get(pk=course_id), notify=False)


def _nothing_tentative_in_the_past(clinic: Clinic, diary: Diary) -> None:
    """A tentative visit planned for earlier today (at opening time) is put later today."""
    past = Appointment.objects.filter(
        clinic=clinic, status=AppointmentStatus.TENTATIVE, starts_at__lt=diary.now
    ).order_by("patient_id", "starts_at")
    start = dt.datetime.combine(diary.now.date(), dt.time(diary.now.hour), tzinfo=clinic.zone)
    while start < diary.now:
        start += QUARTER
    for appointment in past:
        length = appointment.ends_at - appointment.starts_at
        appointment.starts_at, appointment.ends_at = start, start + length
        appointment.save(update_fields=["starts_at", "ends_at"])
        start += length


def _midnight(clinic: Clinic, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=clinic.zone)


def _next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _next_open(clinic: Clinic, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() not in clinic.open_weekday_numbers:
        day += dt.timedelta(days=1)
    return day
