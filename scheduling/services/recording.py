"""Recording what happened: each fact is checked, saved and followed by its course's re-plan.

One transaction per fact: the locks (clinic, course, appointments: ``services.locks``), the
fact, and the re-plan, so no crash can leave a fact without its plan. A plan the engine refuses
does not undo the fact: the refusal is kept on the course (needs-attention) and returned as a
sentence for the person who acted. Facts are checked by the engine's one validation
(``timeline.validate_facts``) before anything is written. A second submit of the same fact is
a no-op with a note, never a second dose or a moved record.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling import timeline
from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    BatchStatus,
    CellBatch,
    CellSource,
    Course,
    ThicknessMeasurement,
)
from scheduling.selectors.consent import GATED_KINDS, consent_refusal, step_action
from scheduling.selectors.courses import course_facts, current_batch
from scheduling.services import doses, locks, reminders
from scheduling.services.planning import ReplanResult, course_replan
from scheduling.timeline.dates import DateOutOfRange, check_plausible, spoken


@dataclass
class Recorded:
    """What a recording did: its re-plans, the problems and notes the person must see."""

    replans: list[ReplanResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    held: bool = False  # the fact waits for a person to check it (a CD1 too close to another)

    @property
    def flagged(self) -> list[Appointment]:
        return [appointment for result in self.replans for appointment in result.flagged]

    @property
    def moved(self) -> int:
        return sum(len(result.changes) for result in self.replans)

    def sentences(self) -> list[str]:
        """What the person who acted should read besides "done": notes, planned visits that
        moved, booked visits that now need re-booking, and why a course cannot be planned."""
        lines = list(self.notes)
        if self.moved:
            lines.append(f"{self.moved} planned visit(s) changed.")
        for appointment in self.flagged:
            lines.append(
                f"{appointment.get_kind_display()} on "
                f"{appointment.starts_at.astimezone(appointment.clinic.zone):%a %-d %b %Y} "
                f"needs re-booking: {appointment.rebooking_reason}"
            )
        lines += [f"The course cannot be planned: {problem}" for problem in self.problems]
        return lines


def replan_after_fact(courses, *, notify: bool = True) -> Recorded:
    recorded = Recorded()
    for course in courses:
        result = course_replan(course=course, notify=notify)
        recorded.replans.append(result)
        if result.problem:
            recorded.problems.append(result.problem)
    return recorded


def check_facts(course: Course, fields: dict[str, str] | None = None, **changes) -> None:
    """The engine's validation of the course's facts with ``changes`` applied; its refusal
    becomes a ValidationError on the form field ``fields`` maps the engine's field to."""
    facts = dataclasses.replace(course_facts(course), **changes)
    try:
        timeline.validate_facts(facts, today=timezone.localdate(timezone=course.clinic.zone))
    except timeline.InvalidFact as error:
        target = (fields or {}).get(error.field or "", error.field or "__all__")
        raise ValidationError({target: str(error)}) from None
    except timeline.InvalidCourse as error:
        raise ValidationError(str(error)) from None


def plausible_date(
    day: dt.date, zone, field_name: str, what: str, *, future_allowed: bool = True
) -> None:
    """A date a person entered, checked against the one plausible range (timeline.dates)."""
    try:
        check_plausible(day, timezone.localdate(timezone=zone), what, future_allowed=future_allowed)
    except DateOutOfRange as error:
        raise ValidationError({field_name: str(error)}) from None


def harvest_record_done(
    *, course: Course, on: dt.date, lot_number: str = "", notify: bool = True
) -> CellBatch:
    """The cells were collected on `on`: the harvest is done and the lab's expansion starts.

    A done harvest never moves; recording it again on the same day changes nothing.
    """
    with transaction.atomic():
        course = locks.lock_course(course.pk)
        clinic = course.clinic
        harvest = _live_step(course, "harvest")
        batch = current_batch(course)
        if not (harvest is not None and harvest.status == AppointmentStatus.DONE):
            _check_consent(course, AppointmentKind.HARVEST, on)
        if harvest is not None and harvest.status == AppointmentStatus.DONE:
            done_on = harvest.starts_at.astimezone(clinic.zone).date()
            if done_on == on and batch is not None:
                return batch
            raise ValidationError(
                {
                    "on": f"The harvest was recorded on {spoken(done_on)}; a done harvest "
                    "never moves."
                }
            )
        if batch is not None:
            raise ValidationError(
                f"Lot {batch.lot_number} is already in the lab for this course; a new harvest is "
                "recorded only after a batch failed."
            )
        check_facts(course, {"harvested_on": "on"}, harvested_on=on)
        harvest = harvest or Appointment(
            clinic=clinic,
            patient=course.patient,
            course=course,
            step_key="harvest",
            kind=AppointmentKind.HARVEST,
        )
        set_done_on(harvest, on, clinic.zone)
        try:
            with transaction.atomic():
                batch = CellBatch.objects.create(
                    clinic=clinic,
                    course=course,
                    lot_number=lot_number or f"{clinic.slug.upper()}-{course.pk}-{on:%Y%m%d}",
                    source=course.source,
                    expansion_started_on=on,
                    expected_ready_from=on + dt.timedelta(days=clinic.expansion_min_days),
                    expected_ready_by=on + dt.timedelta(days=clinic.expansion_max_days),
                )
        except IntegrityError:
            raise ValidationError({"lot_number": LOT_TAKEN}) from None
        replan_after_fact([course], notify=notify)
    return batch


def batch_record_progress(*, batch: CellBatch, note: str) -> CellBatch:
    batch.progress_note = note
    batch.full_clean()
    batch.save(update_fields=["progress_note", "updated_at"])
    return batch


DONE_FIELDS = [
    "starts_at",
    "ends_at",
    "version",
    "status",
    "uncertainty_days",
    "rebooking_reason",
    "updated_at",
]
LOT_TAKEN = "The clinic already has a batch with this lot number."
QC_CHECKS = ("identity", "purity", "viability", "sterility")


def batch_release(
    *,
    batch: CellBatch,
    released_on: dt.date,
    doses: int,
    expires_on: dt.date,
    identity: bool,
    purity: bool,
    viability: bool,
    sterility: bool,
    notify: bool = True,
) -> Recorded:
    """Quality control passed: the batch may be infused from `released_on` until `expires_on`.

    Only an expanding batch is released, once: a released or used batch keeps its doses.
    """
    passed = {"identity": identity, "purity": purity, "viability": viability}
    passed["sterility"] = sterility
    errors: dict[str, list[str]] = {}
    failed = [name for name in QC_CHECKS if not passed[name]]
    if failed:
        errors["__all__"] = [
            f"A batch is released only when every check passed; not: {', '.join(failed)}."
        ]
    if doses < 1:
        errors["doses"] = ["A released batch has at least one dose."]
    with transaction.atomic():
        course = locks.lock_course(batch.course_id) if batch.course_id else None
        batch = CellBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != BatchStatus.EXPANDING:
            raise ValidationError(
                f"Lot {batch.lot_number} is {batch.get_status_display().lower()} already; a "
                "batch is released once."
            )
        if released_on < batch.expansion_started_on:
            errors["released_on"] = ["The release cannot be before the expansion started."]
        if course is not None:
            try:
                check_facts(course, released_on=released_on, expires_on=expires_on)
            except ValidationError as refusal:
                for name, messages in refusal.message_dict.items():
                    errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        batch.qc_identity = batch.qc_purity = batch.qc_viability = batch.qc_sterility = True
        batch.qc_released_on = released_on
        batch.doses = doses
        batch.expires_on = expires_on
        batch.status = BatchStatus.RELEASED
        batch.full_clean()
        batch.save()
        return replan_after_fact([course] if course else [], notify=notify)


def appointment_mark_done(
    *, appointment: Appointment, on: dt.date | None = None, notify: bool = True
) -> Recorded:
    """The visit took place (on `on`, when not on its planned day). A second submit is a no-op."""
    with transaction.atomic():
        appointment = locks.lock_appointment(appointment.pk)
        zone = appointment.clinic.zone
        if appointment.status == AppointmentStatus.DONE:
            done_on = appointment.starts_at.astimezone(zone).date()
            return Recorded(notes=[f"Already recorded as done on {done_on:%a %-d %b %Y}."])
        if appointment.status not in (
            AppointmentStatus.TENTATIVE,
            AppointmentStatus.BOOKED,
            AppointmentStatus.CONFIRMED,
        ):
            raise ValidationError(
                f"This appointment is {appointment.get_status_display().lower()}."
            )
        day = on or appointment.starts_at.astimezone(zone).date()
        if day > timezone.localdate(timezone=zone):
            raise ValidationError({"on": "A visit cannot be recorded as done in the future."})
        course = appointment.course
        if course is not None and appointment.kind in GATED_KINDS:
            _check_consent(course, appointment.kind, day)
        if course is not None and appointment.step_key:
            facts = course_facts(course)
            _check_order(appointment, len(facts.infusions_done))
        if course is not None and appointment.kind == AppointmentKind.INFUSION:
            done = (*facts.infusions_done, day)
            check_facts(course, {"infused_on": "on"}, infusions_done=done)
            _use_dose(course, day)
        else:
            plausible_date(day, zone, "on", "The day it was done", future_allowed=False)
        set_done_on(appointment, day, zone)
        return replan_after_fact([course] if course else [], notify=notify)


def _check_consent(course: Course, kind: str, day: dt.date) -> None:
    """A harvest or an infusion is recorded as done only with consent signed by that day."""
    refusal = consent_refusal(course, step_action(kind, "done"), day)
    if refusal:
        raise ValidationError(refusal)


def _check_order(appointment: Appointment, infusions_done: int) -> None:
    """A step is done only after the steps it follows: infusions in order, an ultrasound or a
    follow-up after its infusion (the engine numbers done infusions by their order)."""
    name, _, number = appointment.step_key.rpartition("-")
    if name == "infusion" and int(number) != infusions_done + 1:
        raise ValidationError(
            f"Infusion {infusions_done + 1} is the next one to record; this is infusion {number}."
        )
    if name == "ultrasound" and infusions_done < int(number):
        raise ValidationError(f"Infusion {number} is not recorded yet.")
    if (name == "follow-up" or appointment.step_key == "transfer-window") and not infusions_done:
        raise ValidationError("No infusion is recorded yet.")


def thickness_record(
    *,
    course: Course,
    measured_on: dt.date,
    thickness_mm: Decimal,
    appointment: Appointment | None = None,
    recorded_by=None,
    notify: bool = True,
) -> Recorded:
    """An ultrasound result, recorded against its ultrasound visit (which becomes done) or,
    without one, as an extra observation that never moves or duplicates a booking.

    A second result for the same visit, or on the same day, replaces the first (audited). The
    engine decides which result is the response (see ``timeline``): the others are charted.
    """
    try:
        mm = Decimal(thickness_mm)
    except (InvalidOperation, TypeError):
        mm = Decimal("NaN")
    if not mm.is_finite() or not Decimal("0") < mm <= Decimal("30"):
        raise ValidationError({"thickness_mm": "Endometrial thickness is between 0.1 and 30 mm."})
    with transaction.atomic():
        course = locks.lock_course(course.pk)
        if appointment is not None:
            appointment = locks.lock_appointment(appointment.pk)
            if appointment.course_id != course.pk or appointment.kind not in (
                AppointmentKind.ULTRASOUND,
                AppointmentKind.FOLLOW_UP,
            ):
                raise ValidationError({"appointment": "Choose one of this course's ultrasounds."})
        else:
            appointment = _ultrasound_on(course, measured_on)
        existing = _result_to_replace(course, appointment, measured_on)
        kept = [
            timeline.Thickness(m.measured_on, float(m.thickness_mm))
            for m in course.measurements.all()
            if existing is None or m.pk != existing.pk
        ]
        check_facts(
            course,
            {"on": "measured_on", "mm": "thickness_mm"},
            thickness_results=(*kept, timeline.Thickness(measured_on, float(mm))),
        )
        measurement = existing or ThicknessMeasurement(course=course)
        measurement.measured_on = measured_on
        measurement.thickness_mm = mm
        measurement.recorded_by = recorded_by
        measurement.appointment = appointment
        measurement.full_clean()
        measurement.save()
        if appointment is not None and appointment.status != AppointmentStatus.DONE:
            set_done_on(appointment, measured_on, course.clinic.zone)
        recorded = replan_after_fact([course], notify=notify)
        plan = recorded.replans[0].plan if recorded.replans else None
        for observation in plan.observations if plan is not None else ():
            if observation.on == measured_on and observation.role != "response":
                recorded.notes.append(observation.note or "This result did not decide.")
        if existing is not None:
            recorded.notes.append(
                f"The earlier result for {measured_on:%a %-d %b %Y} was replaced."
            )
        return recorded


def _result_to_replace(
    course: Course, appointment: Appointment | None, day: dt.date
) -> ThicknessMeasurement | None:
    results = course.measurements.select_for_update()
    if appointment is not None:
        linked = results.filter(appointment=appointment).first()
        if linked is not None:
            return linked
    return results.filter(measured_on=day).first()


def _live_step(course: Course, step_key: str) -> Appointment | None:
    return (
        course.appointments.select_for_update()
        .filter(step_key=step_key)
        .exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
        .first()
    )


def _ultrasound_on(course: Course, day: dt.date) -> Appointment | None:
    """The course's ultrasound visit on `day`, which a result on that day belongs to."""
    zone = course.clinic.zone
    for appointment in course.appointments.filter(
        kind__in=(AppointmentKind.ULTRASOUND, AppointmentKind.FOLLOW_UP)
    ).exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)):
        if appointment.starts_at.astimezone(zone).date() == day:
            return appointment
    return None


def set_done_on(appointment: Appointment, day: dt.date, zone) -> None:
    """Mark done on `day`, keeping the booked local time (or the clinic's opening hour)."""
    if appointment.pk is None:
        local_time = appointment.clinic.opens_at
        duration = dt.timedelta(minutes=VISIT_MINUTES[appointment.kind])
    else:
        local_time = appointment.starts_at.astimezone(zone).time()
        duration = appointment.ends_at - appointment.starts_at
    starts_at = dt.datetime.combine(day, local_time, tzinfo=zone)
    if appointment.pk is not None and starts_at != appointment.starts_at:
        appointment.version += 1
    appointment.starts_at = starts_at
    appointment.ends_at = starts_at + duration
    appointment.status = AppointmentStatus.DONE
    appointment.uncertainty_days = 0
    appointment.rebooking_reason = ""
    if appointment.pk is None:
        appointment.save()
    else:
        appointment.save(update_fields=DONE_FIELDS)
    reminders.reminders_sync(appointment=appointment)


def _use_dose(course: Course, day: dt.date) -> None:
    if course.source == CellSource.UMBILICAL_CORD:  # a donor-lot dose, reserved for it
        doses.dose_use(course=course, day=day)
        return
    batch = current_batch(course)
    if batch is None or batch.status != BatchStatus.RELEASED:
        raise ValidationError("No released cell batch for this course: the lab must release it.")
    batch = CellBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.qc_released_on and day < batch.qc_released_on:
        raise ValidationError(
            f"The batch was released on {spoken(batch.qc_released_on)}, after {spoken(day)}."
        )
    if batch.expires_on and day > batch.expires_on:
        raise ValidationError(f"The batch expired on {spoken(batch.expires_on)}.")
    if batch.doses_left < 1:
        raise ValidationError("The batch has no dose left.")
    batch.doses_used += 1
    if batch.doses_used == batch.doses:
        batch.status = BatchStatus.EXHAUSTED
    batch.save(update_fields=["doses_used", "status", "updated_at"])
