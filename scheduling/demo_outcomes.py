"""The demo clinic's finished courses: enough history for every figure of the outcomes report.

Forty-eight patients whose courses started 9 to 29 months ago, across the four cell sources,
both routes and both diagnoses (Asherman's with each severity). Each course is played forward
by the timeline engine as the clinic would have run it (harvest, release, infusions, the
response ultrasound decides; a repeat infusion when below the threshold); then its transfers
and outcomes are recorded through the outcome services, so its status follows them: live
births, miscarriages, an ectopic pregnancy, negative tests and second transfers, pregnancies
still ongoing, courses withdrawn or lost to follow-up, non-responders.
"""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from scheduling import timeline
from scheduling.demo_people import patient_email
from scheduling.models import (
    VISIT_MINUTES,
    AllocationStatus,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AshermanSeverity,
    BatchStatus,
    CellBatch,
    CellSource,
    Clinic,
    Course,
    CourseStatus,
    Diagnosis,
    DonorLot,
    DoseAllocation,
    EmbryoStage,
    LotStatus,
    OutcomeKind,
    Patient,
    PeriodStart,
    Reminder,
    ReminderKind,
    ReportedBy,
    Role,
    Route,
    ThicknessMeasurement,
    TransferType,
    User,
)
from scheduling.selectors.courses import course_input
from scheduling.services.outcomes import course_close, outcome_record, transfer_record
from scheduling.services.planning import CLOSED_COURSES, course_replan
from scheduling.services.reminders import reminders_sync

FINISHED = 48
SOURCES = list(CellSource)
SEVERITIES = list(AshermanSeverity)
# Sixteen first names and twelve surnames: patient n is FIRST[n % 16] LAST[n % 12], all 48
# pairs distinct (16 and 12 repeat together only after 48); no first name is one of demo.py's
# patients' or the course-life patients', so no full name or email repeats in the clinic.
FIRST = [
    "Alice", "Beth", "Clare", "Daisy", "Elizabeth", "Frances", "Georgia", "Heather", "Jessica",
    "Joanna", "Karen", "Louise", "Natalie", "Philippa", "Rosie", "Victoria",
]  # fmt: skip
LAST = [
    "Atkinson", "Barker", "Chapman", "Dixon", "Ellis", "Fletcher", "Gibson", "Holmes", "Lloyd",
    "Marshall", "Palmer", "Shaw",
]  # fmt: skip
# What happens after a response, by course number: each a list of (days after the first
# transfer, what); "second" is a second transfer.
STORIES = [
    "live-birth", "negative-then-live-birth", "miscarriage", "live-birth", "lost", "twins",
    "negative-withdrawn", "live-birth", "negative", "live-birth", "miscarriage", "lost",
    "live-birth", "negative-then-live-birth", "ectopic", "live-birth",
]  # fmt: skip
RESPONDS_AFTER = [1, 1, 2, 1, 3, 4, 1, 2, 1, 4, 2, 1]  # 4: not within three infusions


def add_finished_courses(*, clinic: Clinic, today: dt.date, staff: dict[str, User]) -> None:
    """Add the finished courses to the demo clinic (called once, from ``demo.load_demo``;
    ``staff``: its users by role)."""
    coordinator, physician = staff[Role.COORDINATOR], staff[Role.PHYSICIAN]
    rng = random.Random(15)  # noqa: S311 - demo data, not security
    for number in range(FINISHED):
        started = today - dt.timedelta(days=270 + number * 13)
        patient = _patient(clinic, number, started, today, rng)
        course = Course.objects.create(
            clinic=clinic,
            patient=patient,
            source=SOURCES[number % len(SOURCES)],
            route=Route.INTRAUTERINE_ARTERY if number % 6 == 5 else Route.INTRAUTERINE,
            planned_infusions=1,
            not_before=started,
            created_by=coordinator,
        )
        responds_after = rng.choice(RESPONDS_AFTER)
        facts = _play(course, today, responds_after, rng)
        _write(course, facts, rng)
        course_replan(course=course, notify=False)
        course.refresh_from_db()
        if course.status == CourseStatus.RESPONDED:
            _story(
                course,
                STORIES[number % len(STORIES)],
                today,
                coordinator,
                physician,
            )
        elif course.status == CourseStatus.NON_RESPONDER and number % 2:
            course_close(course=course, status=CourseStatus.WITHDRAWN, on=_last_fact(facts))
        _followed_up(course, today)
    without_change_notices(Patient.objects.filter(clinic=clinic, mrn__startswith="DEMO-H"))


def without_change_notices(patients) -> None:
    """Withdraw the "your dates changed" notices the outcome services queued while the demo
    wrote its past: nobody's dates changed (the history is made up, in this transaction), and
    loading the demo must not email its patients (demo.py re-plans with ``notify=False``; the
    outcome, consent and lot services always tell the patient)."""
    Reminder.objects.filter(patient__in=patients, kind=ReminderKind.PLAN_CHANGED).delete()


def _patient(
    clinic: Clinic, number: int, started: dt.date, today: dt.date, rng: random.Random
) -> Patient:
    first, last = FIRST[number % len(FIRST)], LAST[number % len(LAST)]
    asherman = number % 3 == 0
    age = 29 + (number * 7) % 15
    patient = Patient.objects.create(
        clinic=clinic,
        mrn=f"DEMO-H{number + 1:03d}",
        first_name=first,
        last_name=last,
        email=patient_email(first, last),
        date_of_birth=started.replace(year=started.year - age) - dt.timedelta(days=number * 5),
        time_zone=clinic.time_zone,
        stated_cycle_length=28,
        diagnosis=Diagnosis.ASHERMAN if asherman else Diagnosis.THIN_ENDOMETRIUM,
        asherman_severity=SEVERITIES[(number // 3) % len(SEVERITIES)] if asherman else "",
        baseline_thickness_mm=Decimal(rng.choice(["4.1", "4.6", "5.0", "5.3", "5.8", "6.2"])),
        prior_treatments="Oestrogen therapy",
        consent_version="2024-01",
        consent_date=started - dt.timedelta(days=14),
    )
    length, day, days = rng.choice([27, 28, 29, 30]), started - dt.timedelta(days=90), []
    while day <= today:
        days.append(day)
        day += dt.timedelta(days=length + rng.randint(-1, 1))
    for day in days:
        PeriodStart.objects.create(patient=patient, date=day, reported_by=ReportedBy.PATIENT)
    return patient


def _play(
    course: Course, today: dt.date, responds_after: int, rng: random.Random
) -> timeline.Facts:
    """The course as the clinic ran it, up to its decision: every infusion and response
    ultrasound the engine planned, recorded on its planned day."""
    start = course_input(course, today=course.not_before)
    facts = timeline.Facts()
    if course.source == CellSource.UMBILICAL_CORD:  # a donor-lot dose, allocated at the start
        expiry = course.not_before + dt.timedelta(days=365)
        facts = timeline.Facts(lot_allocated_on=course.not_before, expires_on=expiry)
    wanted = (
        timeline.StepKind.HARVEST,
        timeline.StepKind.EXPANSION,
        timeline.StepKind.INFUSION,
        timeline.StepKind.ULTRASOUND,
    )
    for _ in range(12):
        try:
            plan = timeline.plan(dataclasses.replace(start, facts=facts))
        except (timeline.PlanRefused, timeline.InvalidCourse):
            break
        step = next((s for s in plan.steps if not s.done and s.kind in wanted), None)
        day = None if step is None else (step.ready_from or step.date)
        if step is None or day is None or day >= today:
            break
        facts = _fact(facts, step, responds_after, rng)
    return facts


def _fact(
    facts: timeline.Facts, step: timeline.Step, responds_after: int, rng: random.Random
) -> timeline.Facts:
    if step.kind in NOT_MEASURED:
        return step_done(facts, step)
    low, high = (7.1, 8.9) if step.number >= responds_after else (4.9, 6.7)
    return step_done(facts, step, thickness_mm=round(rng.uniform(low, high), 1))


NOT_MEASURED = (timeline.StepKind.HARVEST, timeline.StepKind.EXPANSION, timeline.StepKind.INFUSION)


def step_done(
    facts: timeline.Facts, step: timeline.Step, *, thickness_mm: float | None = None
) -> timeline.Facts:
    """The facts after ``step`` took place as planned; a scan measured ``thickness_mm``."""
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
    return replace(facts, thickness_results=(*facts.thickness_results, (step.date, thickness_mm)))


def _last_fact(facts: timeline.Facts) -> dt.date:
    return max([*facts.infusions_done, *(r[0] for r in facts.thickness_results)])


def _write(course: Course, facts: timeline.Facts, rng: random.Random) -> None:
    if course.source == CellSource.UMBILICAL_CORD:
        _doses(course, facts)
    elif facts.harvested_on is not None:
        done_visit(course, "harvest", AppointmentKind.HARVEST, facts.harvested_on)
        past_batch(course, facts, lot_number=f"DEMO-H{course.pk:04d}")
    baseline = float(course.patient.baseline_thickness_mm)
    for number, day in enumerate(facts.infusions_done, 1):
        infusion = done_visit(course, f"infusion-{number}", AppointmentKind.INFUSION, day)
        if number == 1:  # measured on the infusion day: an observation, charted at day 0
            ThicknessMeasurement.objects.create(
                course=course,
                appointment=infusion,
                measured_on=day,
                thickness_mm=Decimal(f"{baseline + rng.uniform(-0.3, 0.4):.1f}"),
            )
    for number, (day, mm) in enumerate(facts.thickness_results, 1):
        ultrasound = done_visit(course, f"ultrasound-{number}", AppointmentKind.ULTRASOUND, day)
        ThicknessMeasurement.objects.create(
            course=course, appointment=ultrasound, measured_on=day, thickness_mm=Decimal(str(mm))
        )


def _doses(course: Course, facts: timeline.Facts) -> None:
    """One dose of the demo's historic donor lot for each infusion given."""
    clinic = course.clinic
    lot, _ = DonorLot.objects.get_or_create(
        clinic=clinic,
        lot_number="DEMO-UC-2024",
        defaults={
            "donor_screening_ref": "DS-2024-017",
            "status": LotStatus.RELEASED,
            "qc_released_on": course.not_before - dt.timedelta(days=60),
            "qc_identity": True,
            "qc_purity": True,
            "qc_viability": True,
            "qc_sterility": True,
            "doses": 200,
            "expires_on": course.not_before + dt.timedelta(days=3 * 365),
            "storage_location": "LN2 tank 2, rack C",
        },
    )
    for day in facts.infusions_done:
        DoseAllocation.objects.create(
            lot=lot, course=course, status=AllocationStatus.USED, used_on=day
        )
        lot.doses_used += 1
    lot.save(update_fields=["doses_used", "updated_at"])


def past_batch(
    course: Course, facts: timeline.Facts, *, lot_number: str, progress_note: str = ""
) -> CellBatch:
    """The patient's batch as the lab recorded it: expanding, or released with its QC passed."""
    clinic, start, released = course.clinic, facts.harvested_on, facts.released_on
    return CellBatch.objects.create(
        clinic=clinic,
        course=course,
        lot_number=lot_number,
        source=course.source,
        expansion_started_on=start,
        expected_ready_from=start + dt.timedelta(days=clinic.expansion_min_days),
        expected_ready_by=start + dt.timedelta(days=clinic.expansion_max_days),
        status=BatchStatus.RELEASED if released else BatchStatus.EXPANDING,
        progress_note="" if released else progress_note,
        qc_released_on=released,
        qc_identity=bool(released),
        qc_purity=bool(released),
        qc_viability=bool(released),
        qc_sterility=bool(released),
        doses=3,
        doses_used=len(facts.infusions_done),
        expires_on=facts.expires_on,
    )


def done_visit(
    course: Course, key: str, kind: str, day: dt.date, *, at: dt.time = dt.time(11, 0)
) -> Appointment:
    """A visit that took place, in the clinic's time zone."""
    starts_at = dt.datetime.combine(day, at, tzinfo=course.clinic.zone)
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


def _followed_up(course: Course, today: dt.date) -> None:
    """Each follow-up whose planned day has passed (before the course closed) took place on
    that day, as in demo.py: otherwise every overdue one is planned for the first open day,
    all at the same hour. A closed course's visits still tentative are cancelled: the closure
    cancels future visits only, and these were planned for earlier today."""
    course.refresh_from_db()
    closed = course.status in CLOSED_COURSES
    until = min(today, course.closed_on or today) if closed else today
    try:
        steps = timeline.plan(course_input(course, today=course.not_before)).steps
    except (timeline.PlanRefused, timeline.InvalidCourse):
        steps = ()
    # The engine has no fact for a follow-up: the re-plan leaves a done one's visit alone.
    for step in steps:
        if step.kind != timeline.StepKind.FOLLOW_UP or step.date is None or step.date >= until:
            continue
        planned = (
            course.appointments.filter(step_key=step.key)
            .exclude(status=AppointmentStatus.CANCELLED)
            .first()
        )
        if planned is None:
            done_visit(course, step.key, AppointmentKind.FOLLOW_UP, step.date)
        elif planned.status != AppointmentStatus.DONE:
            _took_place(planned, step.date)
    if not closed:
        course_replan(course=course, notify=False)
        return
    for planned in course.appointments.filter(status=AppointmentStatus.TENTATIVE):
        planned.status = AppointmentStatus.CANCELLED
        planned.cancel_reason = course.closed_reason or "The course was closed."
        planned.save(update_fields=["status", "cancel_reason", "updated_at"])
        reminders_sync(appointment=planned, cd1_requests=False)


def _took_place(planned: Appointment, day: dt.date) -> None:
    planned.starts_at = dt.datetime.combine(day, dt.time(11, 0), tzinfo=planned.clinic.zone)
    planned.ends_at = planned.starts_at + dt.timedelta(minutes=VISIT_MINUTES[planned.kind])
    planned.status, planned.uncertainty_days = AppointmentStatus.DONE, 0
    planned.version += 1
    fields = ["starts_at", "ends_at", "status", "uncertainty_days", "version", "updated_at"]
    planned.save(update_fields=fields)
    reminders_sync(appointment=planned, cd1_requests=False)


def _transfer_day(course: Course) -> dt.date | None:
    plan = timeline.plan(course_input(course, today=course.not_before))
    window = next((s for s in plan.steps if s.kind == timeline.StepKind.TRANSFER_WINDOW), None)
    if window is None:
        return None
    return window.suggested[0] if window.suggested else window.window_start


def _story(course: Course, story: str, today: dt.date, coordinator: User, physician: User) -> None:
    """What happened after the response, recorded as the clinic would, while it is past."""
    transfer = _transfer_day(course)
    if transfer is None or transfer > today - dt.timedelta(days=14):
        return
    if story == "lost":
        course_close(course=course, status=CourseStatus.LOST_TO_FOLLOW_UP, on=transfer)
        return
    steps = _steps(story, transfer)
    for day, kind, fields in steps:
        if day > today:
            return
        if kind == "withdrawn":
            course_close(course=course, status=CourseStatus.WITHDRAWN, on=day)
        elif kind == OutcomeKind.TRANSFER:
            transfer_record(course=course, on=day, recorded_by=coordinator, **fields)
        else:
            outcome_record(course=course, kind=kind, on=day, recorded_by=physician, **fields)


def _steps(story: str, transfer: dt.date) -> list[tuple[dt.date, str, dict]]:
    blastocyst = {
        "embryos": 1,
        "embryo_stage": EmbryoStage.BLASTOCYST,
        "transfer_type": TransferType.FROZEN,
    }
    later = dt.timedelta

    def pregnancy(at: dt.date, ending: str, babies: int = 1) -> list:
        rows = [
            (at, OutcomeKind.TRANSFER, blastocyst),
            (at + later(12), OutcomeKind.PREGNANCY_TEST, {"beta_hcg": 412, "positive": True}),
        ]
        if ending == "ectopic":
            return [*rows, (at + later(30), OutcomeKind.ECTOPIC, {})]
        rows.append(
            (at + later(35), OutcomeKind.CLINICAL_PREGNANCY, {"heartbeat": True, "sacs": babies})
        )
        if ending == "miscarriage":
            return [*rows, (at + later(56), OutcomeKind.MISCARRIAGE, {"weeks": 10})]
        return [
            *rows,
            (at + later(252), OutcomeKind.LIVE_BIRTH, {"weeks": 38, "babies": babies}),
        ]

    negative = [
        (transfer, OutcomeKind.TRANSFER, blastocyst),
        (transfer + later(12), OutcomeKind.PREGNANCY_TEST, {"beta_hcg": 2, "positive": False}),
    ]
    if story == "negative-then-live-birth":
        return [*negative, *pregnancy(transfer + later(63), "live-birth")]
    if story == "negative-withdrawn":
        return [*negative, (transfer + later(40), "withdrawn", {})]
    if story == "negative":
        return negative
    if story == "twins":
        return pregnancy(transfer, "live-birth", babies=2)
    return pregnancy(transfer, story)
