"""The booking page's choice of days: planned day first and chosen, the next day with room
when a day is full or today's hours are over, never a day or time in the past."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scheduling.models import AppointmentStatus
from scheduling.selectors import booking_days
from tests import factories
from tests.factories import consent_for
from tests.workspace.conftest import infusion

pytestmark = pytest.mark.django_db


def _consult_today(clinic, rooms, physician, **fields):
    today = timezone.localdate(timezone=clinic.zone)
    starts_at = dt.datetime.combine(today, dt.time(10), tzinfo=clinic.zone)
    return factories.AppointmentFactory(
        patient=factories.PatientFactory(clinic=clinic),
        status=AppointmentStatus.TENTATIVE,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
        **fields,
    )


def test_planned_day_first_and_chosen(planned_course, clinic):
    consent_for(planned_course)
    visit = infusion(planned_course)
    planned = visit.starts_at.astimezone(clinic.zone).date()
    choice = booking_days.choose(visit, "", now=timezone.now())
    assert choice.days[0].day == planned and choice.days[0].planned and choice.days[0].chosen
    assert [offer.day for offer in choice.days[1:]] == sorted(o.day for o in choice.days[1:])
    assert choice.chosen == planned and choice.slots and not choice.full
    assert {slot.starts_at.astimezone(clinic.zone).date() for slot in choice.slots} == {planned}
    assert [line.who for line in choice.by_room] == ["Procedure room 1", "Procedure room 2"]


def test_a_visit_planned_for_today_after_hours_is_offered_the_next_open_day(
    clinic, rooms, physician
):
    clinic.open_weekdays = "mon,tue,wed,thu,fri"
    clinic.save()
    visit = _consult_today(clinic, rooms, physician)
    today = timezone.localdate(timezone=clinic.zone)
    evening = dt.datetime.combine(today, clinic.closes_at, tzinfo=clinic.zone) + dt.timedelta(
        minutes=30
    )
    choice = booking_days.choose(visit, "", now=evening)
    next_open = next(
        today + dt.timedelta(days=n)
        for n in range(1, 8)
        if (today + dt.timedelta(days=n)).weekday() < 5
    )
    assert choice.chosen == next_open
    assert "Today's opening hours are over" in choice.full
    assert choice.slots and all(slot.starts_at > evening for slot in choice.slots)
    assert choice.days[0].day == today and choice.days[0].free == 0


def test_nothing_in_the_past_is_offered_or_booked(
    staff_client, coordinator, clinic, rooms, physician
):
    visit = _consult_today(clinic, rooms, physician)
    today = timezone.localdate(timezone=clinic.zone)
    client = staff_client(coordinator)
    url = reverse("appointment-book", args=[visit.pk])
    yesterday = today - dt.timedelta(days=1)
    page = client.get(url, {"day": f"{yesterday}"})
    assert page.context["choice"].chosen != yesterday
    assert all(offer.day >= today for offer in page.context["choice"].days)
    past = dt.datetime.combine(yesterday, dt.time(10), tzinfo=clinic.zone)
    answer = client.post(
        url, {"slot": past.isoformat(), "room": rooms[0].pk, "clinician": physician.pk}
    )
    assert answer.status_code == 422
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.TENTATIVE


def test_the_booking_page_after_hours_offers_the_next_open_day(
    staff_client, coordinator, clinic, rooms, physician
):
    clinic.open_weekdays = "mon,tue,wed,thu,fri"
    clinic.save()
    # A Friday evening, after closing: the visit planned for today goes to Monday.
    friday = dt.date(2027, 3, 5)
    with time_machine.travel(
        dt.datetime.combine(friday, dt.time(8), tzinfo=clinic.zone), tick=False
    ) as traveller:
        visit = _consult_today(clinic, rooms, physician)
        traveller.move_to(dt.datetime.combine(friday, dt.time(19), tzinfo=clinic.zone))
        client = staff_client(coordinator)
        page = client.get(reverse("appointment-book", args=[visit.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Today&#x27;s opening hours are over (the clinic closes at 18:00)" in content
    assert page.context["choice"].chosen == dt.date(2027, 3, 8)
    days = page.context["choice"].days
    assert (days[0].day, days[0].planned, days[0].free) == (friday, True, 0)
    assert "Monday 8 March 2027" in content
