"""What a positive pregnancy test does to the long-term follow-ups: held until the pregnancy
ends (the clinic's default) and planned again then, or dropped (Clinic.follow_ups_in_pregnancy,
services/outcomes.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import AppointmentStatus, OutcomeKind, Reminder, ReminderKind
from scheduling.services import outcomes
from scheduling.services.appointments import appointment_book
from tests import factories

D = dt.date
LIVE = (AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


def follow_ups(course, statuses=LIVE):
    return course.appointments.filter(kind="follow-up", status__in=statuses)


def pregnant(course):
    outcomes.transfer_record(
        course=course, on=D(2026, 2, 23), embryos=1, embryo_stage="blastocyst",
        transfer_type="frozen",
    )  # fmt: skip
    return outcomes.outcome_record(
        course=course, kind=OutcomeKind.PREGNANCY_TEST, on=D(2026, 2, 24),
        beta_hcg=Decimal("300"), positive=True,
    )  # fmt: skip


def miscarriage(course):
    return outcomes.outcome_record(
        course=course, kind=OutcomeKind.MISCARRIAGE, on=D(2026, 2, 25), weeks=6
    )


def book_first_follow_up(course, physician):
    visit = follow_ups(course).order_by("starts_at").first()
    room = factories.RoomFactory(clinic=course.clinic)
    day = visit.starts_at.astimezone(course.clinic.zone).date()
    starts = dt.datetime.combine(day, dt.time(11), tzinfo=course.clinic.zone)
    appointment_book(appointment=visit, starts_at=starts, room=room, clinician=physician)
    visit.refresh_from_db()
    return visit


def test_held_follow_ups_show_on_the_page_and_come_back_when_the_pregnancy_ends(
    course, coordinator_a
):
    keys = set(follow_ups(course).values_list("step_key", flat=True))
    assert keys == {"follow-up-3", "follow-up-6", "follow-up-12"}
    pregnant(course)
    assert not follow_ups(course).exists()
    course.refresh_from_db()
    assert not course.dropped_steps
    client = Client()
    client.force_login(coordinator_a)
    html = client.get(reverse("patient-detail", args=[course.patient_id])).content.decode()
    assert 'data-testid="held-follow-ups"' in html
    assert "The 3-month follow-up, The 6-month follow-up, The 12-month follow-up" in html

    miscarriage(course)
    assert set(follow_ups(course).values_list("step_key", flat=True)) == keys
    html = client.get(reverse("patient-detail", args=[course.patient_id])).content.decode()
    assert 'data-testid="held-follow-ups"' not in html


def test_a_booked_follow_up_is_flagged_for_a_person_when_held(course, physician_a):
    booked = book_first_follow_up(course, physician_a)
    pregnant(course)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.rebooking_reason.startswith("Pregnancy confirmed on Tue 24 Feb 2026")


def test_dropped_follow_ups_are_cancelled_booked_too_and_never_come_back(course, physician_a):
    course.clinic.follow_ups_in_pregnancy = "drop"
    course.clinic.save()
    booked = book_first_follow_up(course, physician_a)
    notices = Reminder.objects.filter(patient=course.patient, kind=ReminderKind.PLAN_CHANGED)
    before = notices.count()
    recorded = pregnant(course)
    assert "The follow-ups are dropped (clinic setting)." in recorded.notes
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancel_reason.startswith("Dropped: the clinic plans no follow-ups")
    assert not follow_ups(course).exists()
    course.refresh_from_db()
    assert {"follow-up-3", "follow-up-6", "follow-up-12"} <= set(course.dropped_steps)
    assert notices.count() == before + 1  # told once, with the dates no longer needed
    assert {item["new"] for item in notices.order_by("-sequence").first().payload} == {None}

    miscarriage(course)
    assert not follow_ups(course).exists()  # planning from her cycles again, without them
    assert course.appointments.filter(status=AppointmentStatus.TENTATIVE).exists()


@pytest.mark.parametrize("setting", ["hold", "drop"])
def test_a_live_birth_completes_the_course_either_way(course, setting):
    course.clinic.follow_ups_in_pregnancy = setting
    course.clinic.save()
    pregnant(course)
    outcomes.outcome_record(
        course=course, kind=OutcomeKind.LIVE_BIRTH, on=D(2026, 2, 25), weeks=38, babies=1
    )
    course.refresh_from_db()
    assert course.status == "completed"
    assert (
        not course.appointments.filter(status__in=LIVE)
        .exclude(starts_at__lt=dt.datetime(2026, 2, 25, tzinfo=dt.UTC))
        .exists()
    )
