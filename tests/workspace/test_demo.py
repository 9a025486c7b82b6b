"""The demo clinic is believable whenever it is loaded: nobody double-booked, every patient and
email unique, nobody emailed by the loading, no follow-ups piled onto one day, no tentative
visit left in the past, an ultrasound awaiting its result, a booked visit that needs
re-booking; the sign-in page says where to sign in."""

import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scheduling.demo import DEMO_SLUG, load_demo
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    EmailMessage,
    Patient,
    Reminder,
    ReminderKind,
    User,
)
from scheduling.selectors.attention import attention_for

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
LIVE = (AppointmentStatus.TENTATIVE, AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED,
        AppointmentStatus.DONE)  # fmt: skip


def overlaps(appointments, key) -> list[tuple]:
    by_owner: dict = {}
    for appointment in appointments:
        owner = key(appointment)
        if owner is not None:
            by_owner.setdefault(owner, []).append(appointment)
    clashes = []
    for owner, items in by_owner.items():
        items.sort(key=lambda a: a.starts_at)
        for first, second in itertools.pairwise(items):
            if second.starts_at < first.ends_at:
                clashes.append((owner, first.pk, second.pk, first.starts_at))
    return clashes


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 2, 13, 40, tzinfo=LONDON),  # a Wednesday after lunch
        dt.datetime(2027, 3, 12, 17, 50, tzinfo=LONDON),  # a Friday after the last visit
        dt.datetime(2027, 3, 13, 7, 0, tzinfo=LONDON),  # a Saturday morning (closed)
    ],
    ids=["wed-1340", "fri-1750", "sat-0700"],
)
def test_the_demo_is_believable(moment):
    with time_machine.travel(moment, tick=False):
        assert load_demo(password="demo-password-2026")
        assert not load_demo(password="demo-password-2026")  # loaded once
        clinic = Clinic.objects.get(slug=DEMO_SLUG)
        now = timezone.now()
        visits = list(
            Appointment.objects.filter(clinic=clinic, status__in=LIVE).select_related(
                "patient", "room"
            )
        )

        booked = [a for a in visits if a.status != AppointmentStatus.TENTATIVE]
        problems = {
            "clinician double-booked": overlaps(visits, lambda a: a.clinician_id),
            "room double-booked": overlaps(visits, lambda a: a.room_id),
            "patient double-booked": overlaps(booked, lambda a: a.patient_id),
            "visits in a room that does not hold them": [
                (a.kind, a.room.name) for a in booked if a.room and not a.room.serves(a.kind)
            ],
        }

        patients = Patient.objects.filter(clinic=clinic)
        names = Counter((p.first_name, p.last_name) for p in patients)
        emails = Counter(p.email.lower() for p in patients)
        staff = Counter(u.get_full_name() for u in User.objects.all())
        problems["names repeated"] = [name for name, n in names.items() if n > 1]
        problems["emails repeated"] = [email for email, n in emails.items() if n > 1]
        problems["staff names repeated"] = [name for name, n in staff.items() if n > 1]
        problems["tentative visits in the past"] = [
            (a.pk, a.patient.full_name, a.step_key, a.starts_at)
            for a in visits
            if a.status == AppointmentStatus.TENTATIVE and a.starts_at < now
        ]
        # Loading the demo emails nobody: its made-up past changed nobody's dates.
        problems["patients told their dates changed"] = sorted(
            Reminder.objects.filter(
                patient__clinic=clinic, kind=ReminderKind.PLAN_CHANGED
            ).values_list("patient__mrn", flat=True)
        )
        problems["emails already written"] = EmailMessage.objects.filter(clinic=clinic).count()
        # Follow-ups are months apart: two of one course close together were overdue ones all
        # planned for the first open day (whatever hour the tidy step then gives them).
        follow_ups = sorted(
            (a for a in visits if a.kind == AppointmentKind.FOLLOW_UP),
            key=lambda a: (a.course_id, a.starts_at),
        )
        problems["follow-ups piled up"] = [
            (first.patient.full_name, first.step_key, second.step_key, first.starts_at)
            for first, second in itertools.pairwise(follow_ups)
            if first.course_id == second.course_id
            and second.starts_at - first.starts_at < dt.timedelta(days=28)
        ]
        attention = attention_for(clinic=clinic)
        problems["no ultrasound awaiting its result"] = not attention.results_overdue
        problems["no booked visit that needs re-booking"] = not attention.needs_rebooking
        problems["courses that cannot be planned"] = [
            (c.patient.full_name, c.plan_problem) for c in attention.unplannable
        ]
        assert not {what: found for what, found in problems.items() if found}


def test_the_sign_in_page_says_where_and_hints_demo_logins_only_in_debug(client, settings):
    load_demo(password="demo-password-2026")
    settings.DEBUG = True
    page = client.get(reverse("login")).content.decode()
    assert "Demo Fertility Clinic" in page
    assert "coordinator" in page and "make run" in page
    settings.DEBUG = False
    page = client.get(reverse("login")).content.decode()
    assert "Demo Fertility Clinic" in page
    assert "make run" not in page
