"""The plan and the bookings agree (issue 11): each numbered problem of the issue, as a test.

Booked visits are a person's decision: a re-plan never changes their day, time, room or
clinician; one that no longer fits is flagged, its reminders wait, and a person moves it or
keeps it. Past visits never move. Results belong to visits. No refusal is lost. Cancelling
says what happens to the step.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduling.models import (
    AppointmentStatus,
    ClosedDate,
    PeriodStart,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReplanRun,
)
from scheduling.selectors.attention import attention_for
from scheduling.services import appointments, periods, recording, replans
from scheduling.services.planning import course_replan
from tests import factories
from tests.planning.conftest import at, live, local_day

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)  # Tuesday 3 March 2026, London


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def booked_state(appointment):
    appointment.refresh_from_db()
    return (
        appointment.status,
        appointment.starts_at,
        appointment.ends_at,
        appointment.room_id,
        appointment.clinician_id,
    )


def pending_reminders(appointment):
    return set(
        Reminder.objects.filter(appointment=appointment, status=ReminderStatus.PENDING).values_list(
            "kind", flat=True
        )
    )


def book(appointment, day, hour, room, clinician):
    appointments.appointment_book(
        appointment=appointment, starts_at=at(appointment.clinic, day, hour), room=room,
        clinician=clinician,
    )  # fmt: skip
    appointment.refresh_from_db()
    return appointment


# 1. A booked visit keeps its booking whatever else happens to the course ---------------------


def test_a_booked_visit_survives_unrelated_actions_on_its_course(released_course, rooms, doctor):
    infusion = book(live(released_course, "infusion-1"), dt.date(2026, 3, 11), 9, rooms[0], doctor)
    before, reminders_before = booked_state(infusion), pending_reminders(infusion)
    assert reminders_before == {ReminderKind.PROCEDURE_3_DAYS, ReminderKind.PROCEDURE_1_DAY}

    appointments.appointment_cancel(
        appointment=live(released_course, "follow-up-3"), reason="Asked to skip", then="drop"
    )
    periods.period_start_report(patient=released_course.patient, date=dt.date(2026, 3, 2))
    appointments.appointment_cancel(
        appointment=live(released_course, "follow-up-6"), reason="Moving abroad"
    )

    assert booked_state(infusion) == before
    assert pending_reminders(infusion) == reminders_before
    assert infusion.rebooking_reason == ""
    # Dropped stays dropped; "plan again" gives the step a new tentative visit, said so.
    assert not released_course.appointments.filter(
        step_key="follow-up-3", status=AppointmentStatus.TENTATIVE
    ).exists()
    assert live(released_course, "follow-up-6").status == AppointmentStatus.TENTATIVE


# 2. Closures and settings are followed through -------------------------------------------------


def test_a_closure_flags_the_booked_visit_holds_its_reminders_and_replans_the_rest(
    released_course, rooms, doctor, client, django_capture_on_commit_callbacks
):
    infusion = book(live(released_course, "infusion-1"), dt.date(2026, 3, 11), 9, rooms[0], doctor)
    before = booked_state(infusion)
    admin = factories.MembershipFactory(clinic=released_course.clinic, role="admin").user
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("clinic-settings"),
            {"form": "closed", "closed-date": "2026-03-11", "closed-reason": "Staff training"},
        )
    assert response.status_code == 302
    assert len(queued) == 1  # the background re-plan, queued after commit
    run = ReplanRun.objects.get()
    replans.replan_run_execute(run.pk)  # what the Celery task runs

    run.refresh_from_db()
    assert run.finished_at is not None and run.done == 1 and run.needs_rebooking == 1
    assert "1 booked visit(s) need re-booking" in run.summary
    assert booked_state(infusion) == before  # not moved, room and clinician kept
    assert "closed on Wed 11 Mar 2026" in infusion.rebooking_reason
    assert pending_reminders(infusion) == set()  # held
    assert infusion in attention_for(clinic=released_course.clinic).needs_rebooking
    # The later steps follow the engine's new suggestion meanwhile.
    assert local_day(live(released_course, "ultrasound-1")) == dt.date(2026, 4, 10)

    # A person re-books it: the flag goes, the reminders come back.
    book(infusion, dt.date(2026, 3, 12), 10, rooms[0], doctor)
    assert infusion.rebooking_reason == ""
    assert pending_reminders(infusion) == {
        ReminderKind.PROCEDURE_3_DAYS,
        ReminderKind.PROCEDURE_1_DAY,
    }


def test_keeping_a_flagged_visit_where_it_stands_is_remembered(released_course, rooms, doctor):
    infusion = book(live(released_course, "infusion-1"), dt.date(2026, 3, 11), 9, rooms[0], doctor)
    ClosedDate.objects.create(clinic=released_course.clinic, date=dt.date(2026, 3, 11))
    course_replan(course=released_course)
    infusion.refresh_from_db()
    assert infusion.needs_rebooking

    appointments.appointment_confirm(appointment=infusion)
    course_replan(course=released_course)

    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.CONFIRMED
    assert infusion.rebooking_reason == "" and "closed" in infusion.kept_despite
    assert pending_reminders(infusion)


def test_new_opening_hours_and_a_room_out_of_use_flag_the_visits_they_no_longer_fit(
    released_course, rooms, doctor
):
    infusion = book(live(released_course, "infusion-1"), dt.date(2026, 3, 11), 9, rooms[0], doctor)
    clinic = released_course.clinic
    clinic.opens_at = dt.time(10)
    clinic.save()
    rooms[0].is_active = False
    rooms[0].save()

    replans.clinic_replan_request(clinic=clinic, reason="new hours")
    replans.replan_run_execute(ReplanRun.objects.get().pk)

    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.BOOKED and infusion.room == rooms[0]
    assert "open 10:00 to 18:00" in infusion.rebooking_reason
    assert "Room 1 is out of use" in infusion.rebooking_reason


def test_settings_the_planner_cannot_use_are_refused_and_a_lower_maximum_wedges_nothing(
    released_course,
):
    clinic = released_course.clinic
    clinic.follow_up_months = "3,3"
    with pytest.raises(ValidationError, match="only once"):
        clinic.full_clean()

    released_course.planned_infusions = 3
    released_course.save()
    clinic.refresh_from_db()
    clinic.max_infusions = 1
    clinic.save()
    result = course_replan(course=released_course)
    assert result.problem == ""
    assert not released_course.appointments.filter(step_key="infusion-2").exists()


# 3. Past is past ---------------------------------------------------------------------------------


def test_a_past_booked_visit_never_moves_and_waits_for_its_outcome(
    released_course, rooms, doctor, frozen_today
):
    infusion = book(live(released_course, "infusion-1"), dt.date(2026, 3, 11), 9, rooms[0], doctor)
    before = booked_state(infusion)
    later = {a.step_key: a.starts_at for a in released_course.appointments.exclude(pk=infusion.pk)}
    frozen_today.move_to(dt.datetime(2026, 3, 16, 12, tzinfo=dt.UTC))  # CD15: luteal now

    course_replan(course=released_course)

    assert booked_state(infusion) == before
    # The later steps still count from the booked day: nothing the patient was told moves.
    assert {
        a.step_key: a.starts_at for a in released_course.appointments.exclude(pk=infusion.pk)
    } == later
    assert not Reminder.objects.filter(kind=ReminderKind.PLAN_CHANGED).exists()
    assert infusion in attention_for(clinic=released_course.clinic).outcome_not_recorded
    with pytest.raises(appointments.AppointmentRefused, match="has passed"):
        appointments.appointment_move(
            appointment=infusion, starts_at=at(infusion.clinic, dt.date(2026, 3, 13), 9)
        )


def test_nothing_is_booked_or_moved_into_the_past(released_course, rooms, doctor):
    consult = factories.AppointmentFactory(
        patient=released_course.patient, status=AppointmentStatus.BOOKED
    )
    with pytest.raises(appointments.AppointmentRefused, match="into the past"):
        appointments.appointment_move(
            appointment=consult, starts_at=at(consult.clinic, dt.date(2020, 1, 6), 9)
        )
    with pytest.raises(appointments.AppointmentRefused, match="into the past"):
        book(live(released_course, "infusion-1"), dt.date(2026, 3, 2), 9, rooms[0], doctor)


# 4. Results belong to visits ---------------------------------------------------------------------


def test_a_result_on_another_day_never_moves_or_duplicates_the_booked_ultrasound(
    released_course, rooms, doctor, frozen_today
):
    infusion = live(released_course, "infusion-1")
    frozen_today.move_to(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC))
    recording.appointment_mark_done(appointment=infusion)
    ultrasound = book(
        live(released_course, "ultrasound-1"), dt.date(2026, 4, 10), 9, rooms[0], doctor
    )
    before = booked_state(ultrasound)
    # Another patient's ultrasound takes the same room on the day the result is measured.
    other = factories.AppointmentFactory(
        patient__clinic=released_course.clinic, room=rooms[0],
        starts_at=at(ultrasound.clinic, dt.date(2026, 4, 8), 9),
        ends_at=at(ultrasound.clinic, dt.date(2026, 4, 8), 9, 20),
    )  # fmt: skip

    frozen_today.move_to(dt.datetime(2026, 4, 8, 15, tzinfo=dt.UTC))
    recording.thickness_record(
        course=released_course, measured_on=dt.date(2026, 4, 8), thickness_mm=Decimal("6.1")
    )

    assert booked_state(ultrasound) == before
    assert released_course.appointments.filter(step_key="ultrasound-1").count() == 1
    other.refresh_from_db()
    assert other.room == rooms[0]

    # Recorded against its visit, the result makes the visit done and nothing stays overdue.
    frozen_today.move_to(dt.datetime(2026, 4, 10, 15, tzinfo=dt.UTC))
    recording.thickness_record(
        course=released_course,
        measured_on=dt.date(2026, 4, 10),
        thickness_mm=Decimal("7.4"),
        appointment=ultrasound,
    )
    ultrasound.refresh_from_db()
    assert ultrasound.status == AppointmentStatus.DONE
    assert ultrasound.measurements.get().thickness_mm == Decimal("7.4")
    assert not attention_for(clinic=released_course.clinic).results_overdue
    released_course.refresh_from_db()
    assert released_course.status == "responded"


def test_a_second_result_for_the_same_visit_replaces_the_first(
    released_course, rooms, doctor, frozen_today
):
    frozen_today.move_to(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC))
    recording.appointment_mark_done(appointment=live(released_course, "infusion-1"))
    ultrasound = live(released_course, "ultrasound-1")
    frozen_today.move_to(dt.datetime(2026, 4, 10, 15, tzinfo=dt.UTC))
    for mm in ("6.0", "7.2"):
        recorded = recording.thickness_record(
            course=released_course,
            measured_on=dt.date(2026, 4, 10),
            thickness_mm=Decimal(mm),
            appointment=ultrasound,
        )
    assert [m.thickness_mm for m in released_course.measurements.all()] == [Decimal("7.2")]
    assert any("replaced" in note for note in recorded.notes)


# 5. No refusal is lost ---------------------------------------------------------------------------


def test_a_refusal_reaches_the_person_and_needs_attention(clinic_a):
    patient = factories.PatientFactory(clinic=clinic_a)
    PeriodStart.objects.create(patient=patient, date=dt.date(2026, 1, 5), reported_by="staff")
    course = factories.CourseFactory(
        patient=patient, route="intrauterine-artery", not_before=dt.date(2026, 1, 5)
    )
    course_replan(course=course)

    # 21-day cycles: ovulation on cycle day 7, so the artery route's day 9-11 is luteal.
    recorded = periods.period_start_report(patient=patient, date=dt.date(2026, 1, 26))

    assert recorded.problems and "intrauterine-artery" in recorded.problems[0]
    assert any("cannot be planned" in line for line in recorded.sentences())
    course.refresh_from_db()
    assert "intrauterine-artery" in course.plan_problem
    assert course in attention_for(clinic=clinic_a).unplannable


# 6. Cancel is no trap ----------------------------------------------------------------------------


def test_cancel_asks_for_confirmation_and_says_what_happens(released_course, client):
    coordinator = factories.MembershipFactory(
        clinic=released_course.clinic, role="coordinator"
    ).user
    client.force_login(coordinator)
    follow_up = live(released_course, "follow-up-3")
    url = reverse("appointment-cancel", args=[follow_up.pk])

    page = client.get(url)
    assert page.status_code == 200 and "Drop this step from the course" in page.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == AppointmentStatus.TENTATIVE  # a GET changes nothing

    response = client.post(url, {"reason": "Not needed", "then": "drop"}, follow=True)
    text = response.content.decode()
    assert "the step is dropped from the course" in text
    follow_up.refresh_from_db()
    assert follow_up.status == AppointmentStatus.CANCELLED
    assert follow_up.cancel_reason == "Not needed"
    course_replan(course=released_course)
    assert not released_course.appointments.filter(
        step_key="follow-up-3", status=AppointmentStatus.TENTATIVE
    ).exists()


def test_dropping_an_infusion_lowers_the_planned_number(released_course):
    released_course.planned_infusions = 2
    released_course.save()
    course_replan(course=released_course)
    second = live(released_course, "infusion-2")

    appointments.appointment_cancel(appointment=second, reason="One is enough", then="drop")

    released_course.refresh_from_db()
    assert released_course.planned_infusions == 1
    assert not released_course.appointments.filter(
        step_key="infusion-2", status=AppointmentStatus.TENTATIVE
    ).exists()
    with pytest.raises(appointments.AppointmentRefused, match="last planned infusion"):
        appointments.appointment_cancel(
            appointment=live(released_course, "infusion-1"), reason="x", then="drop"
        )
