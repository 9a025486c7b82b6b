"""Clinical decisions through the Django services (issue 10): which result decides, period
starts that are too close, impossible facts refused with a message and nothing written."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduling.links import Link, Purpose
from scheduling.models import AppointmentStatus, CourseStatus, PeriodStart, PeriodStartStatus
from scheduling.selectors.attention import attention_for
from scheduling.services import patient_links, periods, recording
from scheduling.services.planning import course_replan
from tests import factories
from tests.planning.conftest import live, local_day

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def infuse(course, traveller):
    infusion = live(course, "infusion-1")
    traveller.move_to(dt.datetime(2026, 3, 11, 15, tzinfo=dt.UTC))
    recording.appointment_mark_done(appointment=infusion)
    return infusion


def test_a_result_on_the_infusion_day_is_an_observation_with_a_note(released_course, frozen_today):
    infuse(released_course, frozen_today)
    recorded = recording.thickness_record(
        course=released_course, measured_on=dt.date(2026, 3, 11), thickness_mm=Decimal("7.5")
    )
    released_course.refresh_from_db()
    assert released_course.status == CourseStatus.ACTIVE  # not "responded"
    assert any("observation" in note for note in recorded.notes), recorded.notes
    assert live(released_course, "ultrasound-1").status == AppointmentStatus.TENTATIVE


def test_a_thin_follow_up_result_never_reopens_a_responded_course(released_course, frozen_today):
    infuse(released_course, frozen_today)
    ultrasound = live(released_course, "ultrasound-1")
    frozen_today.move_to(dt.datetime(2026, 4, 10, 15, tzinfo=dt.UTC))
    recording.thickness_record(
        course=released_course,
        measured_on=local_day(ultrasound),
        thickness_mm=Decimal("7.6"),
        appointment=ultrasound,
    )
    follow_up = live(released_course, "follow-up-3")
    frozen_today.move_to(dt.datetime.combine(local_day(follow_up), dt.time(15), tzinfo=dt.UTC))
    course_replan(course=released_course)  # the day's own changes, before the result
    planned = {
        a.step_key: a.starts_at
        for a in released_course.appointments.exclude(step_key="follow-up-3")
    }

    recording.thickness_record(
        course=released_course,
        measured_on=local_day(follow_up),
        thickness_mm=Decimal("6.5"),
        appointment=follow_up,
    )

    released_course.refresh_from_db()
    assert released_course.status == CourseStatus.RESPONDED
    assert not released_course.appointments.filter(step_key="infusion-2").exists()
    after = {
        a.step_key: a.starts_at
        for a in released_course.appointments.exclude(step_key="follow-up-3")
    }
    assert after == planned  # the observation changed no step


def test_a_period_start_too_close_to_another_is_refused_naming_both_dates(released_course):
    patient = released_course.patient
    with pytest.raises(ValidationError) as refusal:
        periods.period_start_report(patient=patient, date=dt.date(2026, 2, 3))
    text = " ".join(refusal.value.messages)
    assert "Tue 3 Feb 2026" in text and "Mon 2 Feb 2026" in text
    assert patient.period_starts.count() == 2


def test_a_near_duplicate_from_a_patient_link_is_held_to_check_and_never_wedges(
    released_course, client
):
    patient = released_course.patient
    link = Link(Purpose.PERIOD, patient.pk, 0, "near-duplicate", TODAY + dt.timedelta(days=7))
    _, recorded = patient_links.period_report_by_patient(link=link, date=dt.date(2026, 2, 4))

    assert recorded.held and not recorded.problems
    held = PeriodStart.objects.get(patient=patient, date=dt.date(2026, 2, 4))
    assert held.status == PeriodStartStatus.TO_CHECK
    assert held in attention_for(clinic=patient.clinic).periods_to_check
    # The course still plans from the two applied dates.
    assert local_day(live(released_course, "infusion-1")) == dt.date(2026, 3, 11)

    # A person applies it: it replaces the start it was too close to, and the course re-plans.
    periods.period_start_apply(period_start=held)
    dates = list(patient.period_starts.values_list("date", "status"))
    assert dates == [
        (dt.date(2026, 1, 5), PeriodStartStatus.APPLIED),
        (dt.date(2026, 2, 4), PeriodStartStatus.APPLIED),
    ]
    released_course.refresh_from_db()
    assert released_course.plan_problem == ""


def test_staff_correct_and_delete_a_period_start_and_the_course_replans(released_course):
    patient = released_course.patient
    february = patient.period_starts.get(date=dt.date(2026, 2, 2))
    periods.period_start_correct(period_start=february, date=dt.date(2026, 1, 30))
    # 25-day cycles from 30 January: cycle day 10 of the one from 24 February is 5 March.
    assert local_day(live(released_course, "infusion-1")) == dt.date(2026, 3, 5)

    periods.period_start_delete(period_start=patient.period_starts.get(date=dt.date(2026, 1, 5)))
    assert list(patient.period_starts.values_list("date", flat=True)) == [dt.date(2026, 1, 30)]
    with pytest.raises(ValidationError, match="only period start"):
        periods.period_start_delete(period_start=patient.period_starts.get())


def test_impossible_harvest_dates_are_refused_and_the_patient_page_still_opens(clinic_a, client):
    patient = factories.PatientFactory(clinic=clinic_a)
    PeriodStart.objects.create(patient=patient, date=dt.date(2026, 2, 2), reported_by="staff")
    course = factories.CourseFactory(patient=patient, not_before=dt.date(2026, 2, 2))
    for day in (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2026, 3, 4)):
        with pytest.raises(ValidationError):
            recording.harvest_record_done(course=course, on=day)
    assert not course.batches.exists()
    client.force_login(factories.MembershipFactory(clinic=clinic_a, role="coordinator").user)
    assert client.get(reverse("patient-detail", args=[patient.pk])).status_code == 200


def test_a_second_result_on_the_same_day_replaces_the_first(released_course, frozen_today):
    infuse(released_course, frozen_today)
    frozen_today.move_to(dt.datetime(2026, 3, 20, 15, tzinfo=dt.UTC))
    for mm in ("5.0", "5.5"):
        recording.thickness_record(
            course=released_course, measured_on=dt.date(2026, 3, 20), thickness_mm=Decimal(mm)
        )
    assert list(released_course.measurements.values_list("thickness_mm", flat=True)) == [
        Decimal("5.5")
    ]
