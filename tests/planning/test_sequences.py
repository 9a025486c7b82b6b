"""Random sequences of what a clinic does, with the plan-and-bookings invariants after each step.

A hypothesis state machine drives the services a person calls (report a period, book, move,
confirm, cancel, no-show, record a visit done or a thickness, close a day, change the opening
hours, take a room out of use, change the protocol) and the clock. After every step:

* no booked or confirmed visit changed its day, time, room or clinician unless a person acted
  on that very visit;
* no two booked visits share a room, a clinician or the patient at one time;
* no tentative visit lies on a closed day or in the past; a booked one on a closed day is
  flagged "needs re-booking" (or its time has passed and it waits for its outcome);
* every course the engine cannot plan is in needs-attention with the reason.
"""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from scheduling import timeline
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClosedDate,
    Course,
    PeriodStart,
    ReplanRun,
)
from scheduling.selectors.attention import attention_for
from scheduling.selectors.courses import course_input
from scheduling.services import appointments, periods, recording, replans
from tests import factories

BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
START = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
REFUSALS = (appointments.AppointmentRefused, ValidationError)


class ClinicDay(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.travel = time_machine.travel(START, tick=False)
        self.traveller = self.travel.start()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clinic = factories.ClinicFactory(slug="sequences", open_weekdays="mon,tue,wed,thu,fri")
        self.rooms = [factories.RoomFactory(clinic=self.clinic, name=f"Room {n}") for n in (1, 2)]
        self.doctors = [
            factories.MembershipFactory(clinic=self.clinic, role="physician").user for _ in range(2)
        ]
        self.courses = [self._course(n) for n in range(2)]
        self.acted_on: set[int] = set()
        self.snapshot = self._booked()

    def _course(self, n: int) -> Course:
        patient = factories.PatientFactory(clinic=self.clinic)
        for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
            PeriodStart.objects.create(patient=patient, date=day, reported_by="staff")
        course = factories.CourseFactory(
            patient=patient, not_before=dt.date(2026, 2, 2), planned_infusions=2
        )
        batch = recording.harvest_record_done(course=course, on=dt.date(2026, 2, 3 + n))
        recording.batch_release(
            batch=batch, released_on=dt.date(2026, 2, 20), doses=3,
            expires_on=dt.date(2026, 9, 1), identity=True, purity=True, viability=True,
            sterility=True,
        )  # fmt: skip
        return course

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.travel.stop()

    # -- helpers ---------------------------------------------------------------------------

    def _today(self) -> dt.date:
        return dt.datetime.now(self.clinic.zone).date()

    def _visits(self, statuses) -> list[Appointment]:
        return list(
            Appointment.objects.filter(clinic=self.clinic, status__in=statuses).order_by("pk")
        )

    def _booked(self) -> dict[int, tuple]:
        return {
            a.pk: (a.starts_at, a.ends_at, a.room_id, a.clinician_id) for a in self._visits(BOOKED)
        }

    def _pick(self, statuses, index: int) -> Appointment | None:
        visits = self._visits(statuses)
        return visits[index % len(visits)] if visits else None

    def _at(self, day_offset: int, hour: int) -> dt.datetime:
        day = self._today() + dt.timedelta(days=day_offset)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.clinic.zone)

    def _act(self, appointment: Appointment | None, write) -> None:
        if appointment is None:
            return
        self.acted_on.add(appointment.pk)
        with contextlib.suppress(*REFUSALS):
            write(appointment)

    # -- what people do ----------------------------------------------------------------------

    @rule(index=st.integers(0, 50), days=st.integers(-3, 40), hour=st.integers(7, 17),
          room=st.integers(0, 1), doctor=st.integers(0, 1))  # fmt: skip
    def book(self, index, days, hour, room, doctor):
        self._act(
            self._pick(ACTIVE_STATUSES, index),
            lambda a: appointments.appointment_book(
                appointment=a, starts_at=self._at(days, hour), room=self.rooms[room],
                clinician=self.doctors[doctor],
            ),
        )  # fmt: skip

    @rule(index=st.integers(0, 50), days=st.integers(-2, 30), hour=st.integers(7, 17))
    def move(self, index, days, hour):
        self._act(
            self._pick(ACTIVE_STATUSES, index),
            lambda a: appointments.appointment_move(appointment=a, starts_at=self._at(days, hour)),
        )

    @rule(index=st.integers(0, 50))
    def confirm(self, index):
        self._act(
            self._pick(BOOKED, index), lambda a: appointments.appointment_confirm(appointment=a)
        )

    @rule(index=st.integers(0, 50), then=st.sampled_from(["plan-again", "drop"]))
    def cancel(self, index, then):
        self._act(
            self._pick(ACTIVE_STATUSES, index),
            lambda a: appointments.appointment_cancel(appointment=a, reason="test", then=then),
        )

    @rule(index=st.integers(0, 50))
    def no_show(self, index):
        self._act(
            self._pick(BOOKED, index),
            lambda a: appointments.appointment_mark_no_show(appointment=a),
        )

    @rule(index=st.integers(0, 50))
    def mark_done(self, index):
        self._act(
            self._pick(ACTIVE_STATUSES, index),
            lambda a: recording.appointment_mark_done(
                appointment=a, on=min(self._today(), a.starts_at.astimezone(a.clinic.zone).date())
            ),
        )

    @rule(course=st.integers(0, 1), days_ago=st.integers(0, 12),
          mm=st.decimals("3", "12", places=1), against_visit=st.booleans())  # fmt: skip
    def thickness(self, course, days_ago, mm, against_visit):
        course = self.courses[course]
        visit = None
        if against_visit:
            visit = course.appointments.filter(
                kind=AppointmentKind.ULTRASOUND, status__in=ACTIVE_STATUSES
            ).first()
            if visit is not None:
                self.acted_on.add(visit.pk)
        with contextlib.suppress(*REFUSALS):
            recording.thickness_record(
                course=course, measured_on=self._today() - dt.timedelta(days=days_ago),
                thickness_mm=Decimal(mm), appointment=visit,
            )  # fmt: skip

    @rule(course=st.integers(0, 1), days_ago=st.integers(0, 40))
    def period(self, course, days_ago):
        with contextlib.suppress(*REFUSALS):
            periods.period_start_report(
                patient=self.courses[course].patient,
                date=self._today() - dt.timedelta(days=days_ago),
            )

    @rule(days=st.integers(0, 40))
    def close_a_day(self, days):
        day = self._today() + dt.timedelta(days=days)
        ClosedDate.objects.get_or_create(clinic=self.clinic, date=day)
        self._follow_through("a closure")

    @rule(opens=st.integers(7, 10), closes=st.integers(15, 19))
    def change_hours(self, opens, closes):
        self.clinic.opens_at, self.clinic.closes_at = dt.time(opens), dt.time(closes)
        self.clinic.save()
        self._follow_through("new hours")

    @rule(room=st.integers(0, 1))
    def toggle_room(self, room):
        room = self.rooms[room]
        room.is_active = not room.is_active
        room.save()
        self._follow_through("a room")

    @rule(threshold=st.sampled_from(["5.0", "6.0", "7.0", "8.0"]), wait=st.integers(1, 3))
    def change_protocol(self, threshold, wait):
        self.clinic.thickness_threshold_mm = Decimal(threshold)
        self.clinic.transfer_wait_cycles = wait
        self.clinic.save()
        self._follow_through("new protocol")

    def _follow_through(self, reason: str) -> None:
        self.clinic.refresh_from_db()
        replans.clinic_replan_request(clinic=self.clinic, reason=reason)
        for run in ReplanRun.objects.filter(clinic=self.clinic, finished_at=None):
            replans.replan_run_execute(run.pk)

    @rule(days=st.integers(1, 20))
    def time_passes(self, days):
        self.traveller.shift(dt.timedelta(days=days))
        replans.replan_sweep()  # what beat runs every minute

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def booked_visits_change_only_by_a_person(self):
        now = self._booked()
        for pk, before in self.snapshot.items():
            if pk in self.acted_on:
                continue
            after = now.get(pk)
            if after is None:
                status = Appointment.objects.get(pk=pk).status
                raise AssertionError(f"Booked visit {pk} became {status} with no one acting on it")
            assert after == before, f"Booked visit {pk} changed by itself: {before} -> {after}"
        self.snapshot, self.acted_on = now, set()

    @invariant()
    def no_two_booked_visits_share_a_room_clinician_or_patient(self):
        visits = self._visits(BOOKED)
        for i, a in enumerate(visits):
            for b in visits[i + 1 :]:
                if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                    assert a.room_id is None or a.room_id != b.room_id, (a.pk, b.pk, "room")
                    assert a.clinician_id != b.clinician_id, (a.pk, b.pk, "clinician")
                    assert a.patient_id != b.patient_id, (a.pk, b.pk, "patient")

    @invariant()
    def no_live_visit_on_a_closed_day_or_in_the_past_unless_flagged_or_awaited(self):
        closed = set(self.clinic.closed_dates.values_list("date", flat=True))
        now, today = dt.datetime.now(dt.UTC), self._today()
        for visit in self._visits(ACTIVE_STATUSES):
            day = visit.starts_at.astimezone(self.clinic.zone).date()
            if visit.status == AppointmentStatus.TENTATIVE:
                # Tentative visits follow the plan, which starts today.
                if visit.course and visit.course.plan_problem == "":
                    assert day >= today, f"tentative visit {visit.pk} on {day}, today {today}"
                    assert day not in closed, f"tentative visit {visit.pk} on closed {day}"
            elif day in closed and visit.ends_at > now:
                assert visit.rebooking_reason, f"booked visit {visit.pk} on closed {day}"

    @invariant()
    def every_unplannable_course_is_in_needs_attention(self):
        listed = set(attention_for(clinic=self.clinic).unplannable)
        for course in Course.objects.filter(clinic=self.clinic):
            try:
                timeline.plan(course_input(course))
            except (timeline.PlanRefused, timeline.InvalidCourse):
                assert course in listed, f"course {course.pk} cannot be planned, not listed"


TestClinicDay = ClinicDay.TestCase
TestClinicDay.settings = settings(
    max_examples=10,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _database(db):
    """The state machine runs each example in its own transaction inside the test's."""
