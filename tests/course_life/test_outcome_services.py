"""Transfer and outcome records, and the course's status following them (services/outcomes)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import (
    AppointmentStatus,
    CourseOutcome,
    CourseStatus,
    OutcomeKind,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.services import outcomes, reminders
from scheduling.services.planning import course_replan

D = dt.date


TRANSFER_DAY, TEST_DAY = D(2026, 2, 23), D(2026, 2, 24)


def transfer(course, on=TRANSFER_DAY):
    return outcomes.transfer_record(
        course=course, on=on, embryos=1, embryo_stage="blastocyst", transfer_type="frozen"
    )


def hcg(course, on=TEST_DAY, positive=True, beta=Decimal("212.0")):
    return outcomes.outcome_record(
        course=course, kind=OutcomeKind.PREGNANCY_TEST, on=on, beta_hcg=beta, positive=positive
    )


def status(course):
    course.refresh_from_db()
    return course.status


def pending_cd1(course):
    return Reminder.objects.filter(
        patient=course.patient, kind=ReminderKind.CD1_REQUEST, status=ReminderStatus.PENDING
    )


def live(course):
    return course.appointments.filter(
        status__in=(AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED)
    )


def test_a_transfer_makes_the_course_transferred_and_keeps_its_plan(course):
    before = live(course).count()
    recorded = transfer(course)
    assert status(course) == CourseStatus.TRANSFERRED
    assert "Embryo transfer on Mon 23 Feb 2026 recorded." in recorded.notes
    assert live(course).count() == before - 1  # the transfer's visit is done; the rest stay
    visit = course.appointments.get(step_key="transfer-window")
    assert visit.status == AppointmentStatus.DONE
    assert visit.starts_at.date() == D(2026, 2, 23)
    course_replan(course=course, notify=False)
    assert status(course) == CourseStatus.TRANSFERRED  # the plan never overwrites it


def test_a_second_submit_of_the_same_transfer_changes_nothing(course):
    transfer(course)
    again = transfer(course)
    assert "already recorded" in again.notes[0]
    assert course.outcomes.count() == 1


def test_a_positive_test_stops_cycle_planning_and_period_requests(course):
    assert pending_cd1(course).exists() and live(course).exists()
    transfer(course)
    recorded = hcg(course)
    assert status(course) == CourseStatus.PREGNANT
    assert not pending_cd1(course).exists()
    assert not live(course).filter(status=AppointmentStatus.TENTATIVE).exists()
    assert "Planning from her cycles stops while she is pregnant." in recorded.notes
    assert not reminders.waits_for_period(course.patient)
    # a later re-plan (a closure, new settings) plans nothing while she is pregnant
    course_replan(course=course, notify=False)
    assert not live(course).exists() and not pending_cd1(course).exists()
    reminders.cd1_requests_sync(patient=course.patient)
    assert not pending_cd1(course).exists()


def test_a_negative_test_keeps_planning(course):
    transfer(course)
    hcg(course, positive=False, beta=Decimal("1.2"))
    assert status(course) == CourseStatus.TRANSFERRED
    assert live(course).exists()


def test_a_miscarriage_ends_the_pregnancy_and_the_course_re_plans(course):
    transfer(course)
    hcg(course)
    outcomes.outcome_record(course=course, kind=OutcomeKind.MISCARRIAGE, on=D(2026, 2, 25), weeks=6)
    assert status(course) == CourseStatus.TRANSFERRED
    assert live(course).filter(status=AppointmentStatus.TENTATIVE).exists()


def test_a_test_needs_a_transfer_before_it(course):
    with pytest.raises(ValidationError, match="embryo transfer"):
        hcg(course)


def test_a_live_birth_needs_a_positive_test_before_it(course):
    transfer(course)
    hcg(course, positive=False, beta=Decimal("0.5"))
    with pytest.raises(ValidationError, match="positive pregnancy test"):
        outcomes.outcome_record(
            course=course, kind=OutcomeKind.LIVE_BIRTH, on=D(2026, 2, 25), weeks=39, babies=1
        )
    assert not course.outcomes.filter(kind=OutcomeKind.LIVE_BIRTH).exists()


def test_a_live_birth_completes_the_course_and_tells_the_patient_once(course):
    transfer(course)
    hcg(course)
    outcomes.outcome_record(
        course=course, kind=OutcomeKind.CLINICAL_PREGNANCY, on=D(2026, 2, 24), heartbeat=True,
        sacs=1,
    )  # fmt: skip
    birth = outcomes.outcome_record(
        course=course, kind=OutcomeKind.LIVE_BIRTH, on=D(2026, 2, 25), weeks=39, babies=1
    )
    assert status(course) == CourseStatus.COMPLETED
    assert birth.notes[0] == "Live birth on Wed 25 Feb 2026 recorded."
    row = course.outcomes.get(kind=OutcomeKind.LIVE_BIRTH)
    assert row.pregnancy_test.positive and row.pregnancy_test.occurred_on == D(2026, 2, 24)
    with pytest.raises(ValidationError, match="reopen it first"):
        hcg(course, on=D(2026, 2, 25))


def test_missing_fields_are_named(course):
    with pytest.raises(ValidationError) as error:
        outcomes.transfer_record(
            course=course, on=D(2026, 2, 23), embryos=None, embryo_stage="", transfer_type="fresh"
        )
    assert set(error.value.message_dict) == {"embryos", "embryo_stage"}


def test_no_outcome_in_the_future(course):
    with pytest.raises(ValidationError):
        transfer(course, on=D(2026, 3, 2))


def test_closing_cancels_future_visits_and_reminders_and_tells_the_patient_once(course):
    future = list(live(course))
    assert future
    recorded = outcomes.course_close(
        course=course, status=CourseStatus.CANCELLED, reason="Cells failed sterility"
    )
    course.refresh_from_db()
    assert course.status == CourseStatus.CANCELLED and course.plan_problem == ""
    assert (course.closed_on, course.closed_reason) == (D(2026, 2, 25), "Cells failed sterility")
    assert not live(course).exists()
    assert not pending_cd1(course).exists()
    assert not Reminder.objects.filter(
        appointment__course=course, status=ReminderStatus.PENDING
    ).exists()
    notices = Reminder.objects.filter(patient=course.patient, kind=ReminderKind.PLAN_CHANGED)
    assert notices.count() == 1
    assert {item["new"] for item in notices.get().payload} == {None}
    assert "Sterility" not in str(notices.get().payload)  # no diagnosis, no reason
    assert any("cancelled" in note for note in recorded.notes)
    # closing again changes nothing and says nothing to the patient
    outcomes.course_close(course=course, status=CourseStatus.WITHDRAWN)
    assert status(course) == CourseStatus.CANCELLED and notices.count() == 1
    # a re-plan of a closed course plans nothing
    course_replan(course=course, notify=False)
    assert not live(course).exists()


def test_cancelling_needs_a_reason(course):
    with pytest.raises(ValidationError, match="why"):
        outcomes.course_close(course=course, status=CourseStatus.CANCELLED, reason=" ")
    assert status(course) == CourseStatus.ACTIVE


def test_lost_to_follow_up_is_an_outcome_record_too(course):
    outcomes.course_close(course=course, status=CourseStatus.LOST_TO_FOLLOW_UP)
    assert status(course) == CourseStatus.LOST_TO_FOLLOW_UP
    assert course.outcomes.filter(kind=OutcomeKind.LOST_TO_FOLLOW_UP).count() == 1


def test_a_reopened_course_re_plans(course):
    outcomes.course_close(course=course, status=CourseStatus.WITHDRAWN)
    assert not live(course).exists()
    recorded = outcomes.course_reopen(course=course)
    assert recorded.notes[0] == "Course reopened and re-planned."
    assert status(course) == CourseStatus.ACTIVE  # harvest done: the plan's own status
    assert live(course).filter(status=AppointmentStatus.TENTATIVE).exists()
    assert pending_cd1(course).exists()
    course.refresh_from_db()
    assert (course.closed_on, course.closed_reason) == (None, "")


def test_a_reopened_transferred_course_keeps_its_status(course):
    transfer(course)
    outcomes.course_close(course=course, status=CourseStatus.WITHDRAWN)
    outcomes.course_reopen(course=course)
    assert status(course) == CourseStatus.TRANSFERRED


def test_outcomes_are_audited(course, physician_a):
    from scheduling.models import AuditEvent

    transfer(course)
    row = CourseOutcome.objects.get(course=course)
    event = AuditEvent.objects.get(object_type="courseoutcome", object_id=str(row.pk))
    assert event.patient_id == course.patient_id
