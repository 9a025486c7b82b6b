"""The course's whole life in the demo clinic (issue 12): consent on every course, and one
patient in each of the states a coordinator should be able to find.

* every course has its signed consent form (a course closed as withdrawn has it withdrawn);
* a pregnant patient: transfer, positive β-hCG and a clinical pregnancy; her follow-ups are
  held and no "has your period started?" request is pending;
* a live birth (a completed course);
* a course the patient withdrew from (consent withdrawn: the course closed, her future visits
  cancelled);
* an umbilical-cord course on a donor lot (a released lot, a dose reserved);
* a donor lot running low (fewer doses available than UC courses waiting for one).

The histories are played forward with the engine; what a person records (consent, transfer,
outcomes, withdrawal, lots and doses) goes through the services, as in the clinic, and the
"your dates changed" notices those queue are withdrawn: loading the demo emails nobody.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from scheduling import demo_outcomes, timeline
from scheduling.models import (
    AppointmentKind,
    CellSource,
    Clinic,
    Course,
    CourseConsent,
    CourseStatus,
    Diagnosis,
    OutcomeKind,
    Patient,
    PeriodStart,
    ReportedBy,
    Role,
    ThicknessMeasurement,
    User,
)
from scheduling.selectors.courses import course_input
from scheduling.services import consent, lots, outcomes
from scheduling.services.planning import course_replan

FORM_VERSION = "2026-01"
PLAYED = (
    timeline.StepKind.HARVEST,
    timeline.StepKind.EXPANSION,
    timeline.StepKind.INFUSION,
    timeline.StepKind.ULTRASOUND,
)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def add_course_life(*, clinic: Clinic, today: dt.date, staff: dict[str, User]) -> None:
    """Add the course-life states to the demo clinic (called once, from ``demo.load_demo``,
    after its other courses: each of those is given its consent too)."""
    coordinator, physician = staff[Role.COORDINATOR], staff[Role.PHYSICIAN]
    _consent_everywhere(clinic, coordinator)
    _pregnant(clinic, today, coordinator, physician)
    _live_birth(clinic, today, coordinator, physician)
    _withdrawn(clinic, today, coordinator)
    _donor_lots(clinic, today, coordinator)
    demo_outcomes.without_change_notices(
        Patient.objects.filter(clinic=clinic, mrn__startswith="DEMO-L")
    )


# Consent ------------------------------------------------------------------------------------


def _consent_everywhere(clinic: Clinic, coordinator: User) -> None:
    """Each course without consent gets the form she signed before it started; one closed as
    withdrawn by the patient has it withdrawn on the day it closed."""
    for course in Course.objects.filter(clinic=clinic, consents__isnull=True).order_by("pk"):
        signed = course.not_before - days(7)
        withdrawn = course.closed_on if course.status == CourseStatus.WITHDRAWN else None
        if withdrawn is not None:
            signed = min(signed, withdrawn)
        CourseConsent.objects.create(
            course=course,
            form_version=FORM_VERSION,
            signed_on=signed,
            witnessed_by=str(coordinator),
            recorded_by=coordinator,
            withdrawn_on=withdrawn,
            withdrawal_reason="Recorded when the course was closed." if withdrawn else "",
        )


def _sign(course: Course, coordinator: User) -> None:
    consent.consent_record(
        course=course,
        form_version=FORM_VERSION,
        signed_on=course.not_before - days(7),
        witnessed_by=str(coordinator),
        recorded_by=coordinator,
    )


# Patients and their histories ---------------------------------------------------------------


def _patient(clinic: Clinic, number: int, first: str, last: str, periods: tuple) -> Patient:
    patient = Patient.objects.create(
        clinic=clinic,
        mrn=f"DEMO-L{number:02d}",
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@patients.example",
        phone=f"+44 7700 901{number:03d}",
        time_zone=clinic.time_zone,
        stated_cycle_length=28,
        diagnosis=Diagnosis.THIN_ENDOMETRIUM if number % 2 else Diagnosis.ASHERMAN,
        baseline_thickness_mm=Decimal("5.2"),
        prior_treatments="Oestrogen therapy",
    )
    first_day, last_day = periods
    day = first_day
    while day <= last_day:
        PeriodStart.objects.create(patient=patient, date=day, reported_by=ReportedBy.PATIENT)
        day += days(28)
    return patient


def _course(patient: Patient, source: str, started: dt.date, coordinator: User) -> Course:
    course = Course.objects.create(
        clinic=patient.clinic,
        patient=patient,
        source=source,
        not_before=started,
        created_by=coordinator,
    )
    _sign(course, coordinator)
    return course


def _played(course: Course, until: dt.date) -> timeline.Facts:
    """The course's facts up to ``until``: each planned harvest, release, infusion and
    ultrasound (a response of 7.8 mm) on its planned day, as the clinic would have done."""
    planning = course_input(course, today=course.not_before)
    facts = timeline.Facts()
    for _ in range(12):
        plan = timeline.plan(dataclasses.replace(planning, facts=facts))
        step = next((s for s in plan.steps if not s.done and s.kind in PLAYED), None)
        if step is None or (step.ready_from or step.date) >= until:
            break
        if step.kind == timeline.StepKind.HARVEST:
            facts = dataclasses.replace(facts, harvested_on=step.date)
        elif step.kind == timeline.StepKind.EXPANSION:
            facts = dataclasses.replace(
                facts, released_on=step.ready_from, expires_on=step.ready_from + days(180)
            )
        elif step.kind == timeline.StepKind.INFUSION:
            facts = dataclasses.replace(facts, infusions_done=(*facts.infusions_done, step.date))
        else:
            results = (*facts.thickness_results, (step.date, 7.8))
            facts = dataclasses.replace(facts, thickness_results=results)
    return facts


def _history(course: Course, until: dt.date) -> None:
    """Write the played facts as done visits, the released batch and the results."""
    facts = _played(course, until)
    if facts.harvested_on is None:
        raise ValueError(f"The demo course {course.pk} has no history before {until}.")
    demo_outcomes.done_visit(
        course, "harvest", AppointmentKind.HARVEST, facts.harvested_on, at=dt.time(10, 30)
    )
    demo_outcomes.past_batch(course, facts, lot_number=f"DEMO-L{course.pk:04d}")
    for number, day in enumerate(facts.infusions_done, 1):
        demo_outcomes.done_visit(
            course, f"infusion-{number}", AppointmentKind.INFUSION, day, at=dt.time(10, 30)
        )
    for number, (day, mm) in enumerate(facts.thickness_results, 1):
        visit = demo_outcomes.done_visit(
            course, f"ultrasound-{number}", AppointmentKind.ULTRASOUND, day, at=dt.time(10, 30)
        )
        ThicknessMeasurement.objects.create(
            course=course, appointment=visit, measured_on=day, thickness_mm=Decimal(str(mm))
        )
    course_replan(course=course, notify=False)


def _transfer(course: Course, on: dt.date, coordinator: User) -> None:
    outcomes.transfer_record(
        course=course, on=on, embryos=1, embryo_stage="blastocyst", transfer_type="frozen",
        recorded_by=coordinator,
    )  # fmt: skip


def _outcome(course: Course, kind: str, on: dt.date, physician: User, **fields) -> None:
    outcomes.outcome_record(course=course, kind=kind, on=on, recorded_by=physician, **fields)


# The states ---------------------------------------------------------------------------------


def _pregnant(clinic: Clinic, today: dt.date, coordinator: User, physician: User) -> None:
    """Transferred 40 days ago, β-hCG positive 12 days later, heartbeat seen since."""
    started = today - days(200)
    patient = _patient(clinic, 1, "Yara", "Haddad", (started - days(84), today - days(54)))
    course = _course(patient, CellSource.BONE_MARROW, started, coordinator)
    _history(course, until=today - days(60))
    _transfer(course, today - days(40), coordinator)
    _outcome(course, OutcomeKind.PREGNANCY_TEST, today - days(28), physician,
             beta_hcg=Decimal("388"), positive=True)  # fmt: skip
    _outcome(course, OutcomeKind.CLINICAL_PREGNANCY, today - days(5), physician,
             heartbeat=True, sacs=1)  # fmt: skip


def _live_birth(clinic: Clinic, today: dt.date, coordinator: User, physician: User) -> None:
    """A daughter born at 38 weeks a month ago: the course is complete."""
    started = today - days(430)
    patient = _patient(clinic, 2, "Ines", "Moreau", (started - days(84), today - days(330)))
    course = _course(patient, CellSource.ADIPOSE, started, coordinator)
    _history(course, until=today - days(320))
    transfer = today - days(300)
    _transfer(course, transfer, coordinator)
    _outcome(course, OutcomeKind.PREGNANCY_TEST, transfer + days(12), physician,
             beta_hcg=Decimal("512"), positive=True)  # fmt: skip
    _outcome(course, OutcomeKind.CLINICAL_PREGNANCY, transfer + days(35), physician,
             heartbeat=True, sacs=1)  # fmt: skip
    _outcome(course, OutcomeKind.LIVE_BIRTH, transfer + days(252), physician,
             weeks=38, babies=1)  # fmt: skip


def _withdrawn(clinic: Clinic, today: dt.date, coordinator: User) -> None:
    """Planned from three weeks ago; she withdrew her consent two days ago."""
    started = today - days(21)
    patient = _patient(clinic, 3, "Keiko", "Lindqvist", (started - days(56), today - days(7)))
    course = _course(patient, CellSource.MENSTRUAL_BLOOD, started, coordinator)
    course_replan(course=course, notify=False)
    consent.consent_withdraw(
        course=course,
        on=today - days(2),
        reason="Personal reasons; may return next year.",
        recorded_by=coordinator,
    )


def _donor_lots(clinic: Clinic, today: dt.date, coordinator: User) -> None:
    """Two released lots: UC-2026-031 (forty doses, one reserved for Sofia Lindgren's course)
    and UC-2026-032 (two doses, one reserved for Maya Okonkwo's), which runs low: more UC
    courses wait for a dose (Rosa Almeida's, Hana Sato's and the demo's others)."""
    plenty = _lot(clinic, today, "UC-2026-031", doses=40, expires=today + days(240))
    low = _lot(clinic, today, "UC-2026-032", doses=2, expires=today + days(120))
    names = [("Sofia", "Lindgren"), ("Maya", "Okonkwo"), ("Rosa", "Almeida"), ("Hana", "Sato")]
    courses = []
    for number, (first, last) in enumerate(names, 4):
        patient = _patient(clinic, number, first, last, (today - days(80), today - days(3)))
        course = _course(patient, CellSource.UMBILICAL_CORD, today, coordinator)
        course_replan(course=course, notify=False)
        courses.append(course)
    lots.dose_reserve(course=courses[0], lot=plenty, reserved_by=coordinator)
    lots.dose_reserve(course=courses[1], lot=low, reserved_by=coordinator)


def _lot(clinic: Clinic, today: dt.date, number: str, *, doses: int, expires: dt.date):
    lot = lots.lot_create(
        clinic=clinic,
        lot_number=number,
        donor_screening_ref=f"DS-{number[-3:]}",
        doses=doses,
        expires_on=expires,
        storage_location="LN2 tank 1, rack B",
    )
    return lots.lot_release(
        lot=lot, released_on=today - days(10), identity=True, purity=True, viability=True,
        sterility=True,
    )  # fmt: skip
