"""Recording a fact re-plans the course and moves its appointments (Django side of issue 3)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from scheduling.models import AppointmentStatus, CourseStatus, PeriodStart
from scheduling.services import periods, recording
from scheduling.services.planning import course_replan
from tests import factories
from tests.planning.conftest import LONDON, live, local_day

pytestmark = pytest.mark.django_db

# Tuesday 3 March 2026 in London; periods on Mondays so that day-arithmetic stays readable.
TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_every_visit_step_gets_a_tentative_appointment_at_opening_time(released_course):
    keys = set(
        released_course.appointments.filter(status=AppointmentStatus.TENTATIVE).values_list(
            "step_key", flat=True
        )
    )
    assert {"infusion-1", "ultrasound-1", "follow-up-3", "follow-up-6", "follow-up-12"} <= keys
    infusion = live(released_course, "infusion-1")
    # Next cycle starts 2 March (28 days after 2 Feb); cycle day 10 is Wednesday 11 March.
    assert local_day(infusion) == dt.date(2026, 3, 11)
    assert infusion.starts_at.astimezone(infusion.clinic.zone).time() == dt.time(8, 0)
    assert released_course.appointments.get(step_key="harvest").status == AppointmentStatus.DONE


def test_an_early_period_moves_the_tentative_infusion_into_the_new_cycle(released_course):
    infusion = live(released_course, "infusion-1")
    version = infusion.version

    # Her period came on Thursday 26 Feb instead of Monday 2 March: CD10 is Saturday 7 March,
    # the clinic is closed at weekends, so the nearest open day (ties: earlier) is Fri 6 March.
    periods.period_start_report(
        patient=released_course.patient, date=dt.date(2026, 2, 26), notify=False
    )

    infusion.refresh_from_db()
    assert local_day(infusion) == dt.date(2026, 3, 6)
    assert infusion.status == AppointmentStatus.TENTATIVE
    assert infusion.version == version + 1


def test_done_visits_never_move(released_course):
    harvest = released_course.appointments.get(step_key="harvest")
    before = harvest.starts_at
    periods.period_start_report(
        patient=released_course.patient, date=dt.date(2026, 2, 27), notify=False
    )
    harvest.refresh_from_db()
    assert harvest.starts_at == before
    assert harvest.status == AppointmentStatus.DONE


def travel_to(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC), tick=False)


def infuse_and_measure(course, mm: str) -> dt.date:
    """Infusion on its planned day, then the ultrasound result on its planned day."""
    infusion = live(course, "infusion-1")
    with travel_to(local_day(infusion)):
        recording.appointment_mark_done(appointment=infusion, notify=False)
    ultrasound_day = local_day(live(course, "ultrasound-1"))
    with travel_to(ultrasound_day):
        recording.thickness_record(
            course=course, measured_on=ultrasound_day, thickness_mm=Decimal(mm), notify=False
        )
    return ultrasound_day


def test_thin_result_adds_an_infusion(released_course):
    ultrasound_day = infuse_and_measure(released_course, "5.5")

    assert live(released_course, "ultrasound-1").status == AppointmentStatus.DONE
    second = live(released_course, "infusion-2")
    assert second.status == AppointmentStatus.TENTATIVE
    assert local_day(second) > ultrasound_day
    released_course.refresh_from_db()
    assert released_course.status == CourseStatus.ACTIVE
    assert released_course.batches.get().doses_used == 1


def test_a_responding_result_marks_the_course_responded(released_course):
    infuse_and_measure(released_course, "7.4")

    released_course.refresh_from_db()
    assert released_course.status == CourseStatus.RESPONDED
    assert not released_course.appointments.filter(step_key="infusion-2").exists()
    assert live(released_course, "transfer-window").kind == "embryo-transfer"


def test_infusion_uses_a_dose_and_refuses_when_none_is_left(released_course):
    batch = released_course.batches.get()
    batch.doses = batch.doses_used = 1
    batch.save()
    with pytest.raises(ValidationError, match="no dose left"):
        recording.appointment_mark_done(
            appointment=live(released_course, "infusion-1"), on=dt.date(2026, 3, 2)
        )
    assert live(released_course, "infusion-1").status == AppointmentStatus.TENTATIVE


def test_a_refused_plan_keeps_the_reported_period_and_says_why(clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a, time_zone=LONDON)
    PeriodStart.objects.create(patient=patient, date=dt.date(2026, 1, 5), reported_by="patient")
    course = factories.CourseFactory(
        patient=patient, route="intrauterine-artery", not_before=dt.date(2026, 1, 5)
    )
    course_replan(course=course, notify=False)

    # 21-day cycles put ovulation on cycle day 7: the artery route's day 9-11 is luteal.
    recorded = periods.period_start_report(patient=patient, date=dt.date(2026, 1, 26), notify=False)
    assert PeriodStart.objects.filter(patient=patient, date=dt.date(2026, 1, 26)).exists()
    assert len(recorded.problems) == 1
    assert "intrauterine-artery" in recorded.problems[0]


def test_a_period_start_in_the_future_is_refused(patient_a):
    with pytest.raises(ValidationError, match="future"):
        periods.period_start_report(patient=patient_a, date=dt.date(2026, 3, 4))
    assert not PeriodStart.objects.filter(patient=patient_a).exists()


def test_batch_release_needs_every_quality_check(released_course):
    batch = factories.CellBatchFactory(course=released_course)
    with pytest.raises(ValidationError, match="sterility"):
        recording.batch_release(
            batch=batch,
            released_on=batch.expected_ready_from,
            doses=2,
            expires_on=batch.expected_ready_from + dt.timedelta(days=30),
            identity=True,
            purity=True,
            viability=True,
            sterility=False,
        )
    batch.refresh_from_db()
    assert batch.status == "expanding"


def test_tentative_times_stay_at_local_opening_hour_across_dst(clinic_a):
    """London moves to BST on 29 March 2026: 08:00 local is 08:00 UTC before, 07:00 after."""
    patient = factories.PatientFactory(clinic=clinic_a, time_zone=LONDON)
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 2)):
        PeriodStart.objects.create(patient=patient, date=day, reported_by="patient")
    course = factories.CourseFactory(patient=patient, not_before=dt.date(2026, 2, 2))
    course_replan(course=course, notify=False)
    appointments = list(course.appointments.all())
    assert {a.starts_at.astimezone(clinic_a.zone).time() for a in appointments} == {dt.time(8)}
    utc_hours = {a.starts_at.astimezone(dt.UTC).hour for a in appointments}
    assert utc_hours == {7, 8}


def test_a_booked_day_that_still_fits_is_kept_on_replanning(released_course):
    infusion = live(released_course, "infusion-1")  # planned Wed 11 March (cycle day 10)
    planned = local_day(infusion)
    booked_day = planned - dt.timedelta(days=1)  # Tue 10 March, cycle day 9: proliferative too
    infusion.starts_at -= dt.timedelta(days=1)
    infusion.ends_at -= dt.timedelta(days=1)
    infusion.status = AppointmentStatus.BOOKED
    infusion.save()

    course_replan(course=released_course, notify=False)
    infusion.refresh_from_db()
    assert local_day(infusion) == booked_day

    # A period four days early puts 10 March on cycle day 13, past ovulation (cycle day 12 in
    # the 26-day pattern the new period start gives): the booking no longer fits. Booked means
    # booked: it stays where it is, flagged, and its reminders wait for a person.
    periods.period_start_report(
        patient=released_course.patient, date=dt.date(2026, 2, 26), notify=False
    )
    infusion.refresh_from_db()
    assert local_day(infusion) == booked_day
    assert infusion.status == AppointmentStatus.BOOKED
    assert "luteal" in infusion.rebooking_reason


def test_a_tentative_visit_a_coordinator_moved_keeps_its_day(released_course):
    from scheduling.services.appointments import appointment_move

    infusion = live(released_course, "infusion-1")  # Wed 11 March, cycle day 10
    moved_to = infusion.starts_at - dt.timedelta(days=1)  # Tue 10 March, cycle day 9
    appointment_move(appointment=infusion, starts_at=moved_to)

    course_replan(course=released_course, notify=False)

    infusion.refresh_from_db()
    assert infusion.starts_at == moved_to
    assert infusion.status == AppointmentStatus.TENTATIVE
    assert infusion.pinned


def test_later_visits_are_planned_from_the_day_a_coordinator_chose(released_course):
    from scheduling.services.appointments import appointment_move

    # Her cycles are 28 days from Monday 2 February: they start on Mondays (30 March, 27 April,
    # ... 22 June, 20 July ...), so cycle day 10 is a Wednesday and day 12 a Friday.
    infusion = live(released_course, "infusion-1")  # Wed 11 March, cycle day 10
    pinned = infusion.starts_at + dt.timedelta(days=28)  # Wed 8 April, next cycle's day 10
    appointment_move(appointment=infusion, starts_at=pinned)

    # She reports the period that started on Monday 2 March, as predicted: a re-plan.
    periods.period_start_report(
        patient=released_course.patient, date=dt.date(2026, 3, 2), notify=False
    )

    infusion.refresh_from_db()
    assert infusion.starts_at == pinned and infusion.pinned
    days = {
        key: local_day(live(released_course, key))
        for key in ("ultrasound-1", "transfer-window", "follow-up-3", "follow-up-6", "follow-up-12")
    }
    assert days == {
        # cycle day 12 of the cycle after the infusion's (from 27 April); planned from the
        # engine's 11 March it was Friday 10 April
        "ultrasound-1": dt.date(2026, 5, 8),
        # transfer window: the 3rd and 4th cycles after the infusion's, 22 June - 16 August;
        # the first suggested day is cycle day 19 (ovulation day 14 + 5) of the cycle from 22 June
        "transfer-window": dt.date(2026, 7, 10),
        # 8 July is day 17 of the cycle from 22 June, past its day 12; the next cycle's day 12
        # (31 July) is inside the transfer window: day 12 of the first cycle after it (17 August)
        "follow-up-3": dt.date(2026, 8, 28),
        # 8 October is day 25 of the cycle from 14 September: day 12 of the one from 12 October
        "follow-up-6": dt.date(2026, 10, 23),
        # 8 April 2027 is day 11 of the cycle from 29 March 2027: its day 12
        "follow-up-12": dt.date(2027, 4, 9),
    }
    assert all(live(released_course, key).status == AppointmentStatus.TENTATIVE for key in days)


def test_a_pinned_day_that_no_longer_fits_moves_and_later_visits_follow_the_new_day(
    released_course,
):
    from scheduling.services.appointments import appointment_move

    infusion = live(released_course, "infusion-1")  # Wed 11 March, cycle day 10
    appointment_move(appointment=infusion, starts_at=infusion.starts_at + dt.timedelta(days=2))

    # A period on Thursday 26 Feb makes her pattern 26 days (ovulation on day 12): Fri 13 March
    # is day 16, luteal. The infusion goes back to the engine's day, Fri 6 March (day 10 is a
    # Saturday), and the ultrasound to day 10 of the next cycle (from 24 March): Thu 2 April.
    periods.period_start_report(
        patient=released_course.patient, date=dt.date(2026, 2, 26), notify=False
    )

    infusion.refresh_from_db()
    assert local_day(infusion) == dt.date(2026, 3, 6)
    assert local_day(live(released_course, "ultrasound-1")) == dt.date(2026, 4, 2)


def test_moving_a_visit_re_plans_the_later_tentative_visits_at_once(released_course):
    from scheduling.services.appointments import appointment_move

    ultrasound = live(released_course, "ultrasound-1")
    before = local_day(ultrasound)
    infusion = live(released_course, "infusion-1")  # Wed 11 March, cycle day 10
    appointment_move(appointment=infusion, starts_at=infusion.starts_at + dt.timedelta(days=28))

    # Without any new fact: day 12 of the cycle after the new infusion day's (from 27 April).
    ultrasound.refresh_from_db()
    assert before == dt.date(2026, 4, 10)
    assert local_day(ultrasound) == dt.date(2026, 5, 8)
    assert ultrasound.status == AppointmentStatus.TENTATIVE
    assert not released_course.patient.reminders.filter(kind="plan-changed").exists()
