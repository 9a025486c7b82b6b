"""A closure followed through: a closed date added to a clinic of 5,000 active courses.

    .venv/bin/python bench/bench_replan.py [--courses N]

Seeds a throw-away SQLite file (or DATABASE_URL when set) with N patients, each with two
reported period starts, a released cell batch and an active course planned through the one
re-plan path; one course in ten has its first infusion booked in a room with a physician.
Then it adds a closed date on the busiest infusion day through the service the admin page
calls, and runs the background re-plan the Celery task runs (one worker, in this process),
timed to the end. Prints the seconds, courses per second, the booked visits flagged "needs
re-booking", and the SQL statements per course. Target: at most 20 seconds for 5,000 courses.
"""

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway_db import ThrowawayDatabase

DATABASE = ThrowawayDatabase("replan")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from scheduling.models import (  # noqa: E402
    Appointment,
    AppointmentStatus,
    BatchStatus,
    CellBatch,
    Clinic,
    ClosedDate,
    Course,
    Membership,
    Patient,
    PeriodStart,
    Room,
    User,
)
from scheduling.services import replans  # noqa: E402
from scheduling.services.planning import course_replan  # noqa: E402

TARGET_SECONDS = 20.0


def seed(courses: int) -> Clinic:
    clinic = Clinic.objects.create(name="Replan Bench", slug="replan-bench")
    today = timezone.localdate(timezone=clinic.zone)
    rooms = Room.objects.bulk_create([Room(clinic=clinic, name=f"Room {n}") for n in range(8)])
    doctors = []
    for n in range(8):
        user = User.objects.create_user(f"replan-doctor{n}")
        Membership.objects.create(user=user, clinic=clinic, role="physician")
        doctors.append(user)
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            mrn=f"R{n:06d}",
            first_name="Pat",
            last_name=f"Replan{n}",
            email=f"r{n}@patients.example",
            time_zone="Europe/London",
            diagnosis="thin-endometrium",
            stated_cycle_length=26 + n % 5,
        )
        for n in range(courses)
    )
    PeriodStart.objects.bulk_create(
        PeriodStart(
            patient=patient, date=today - dt.timedelta(days=days + n % 20), reported_by="staff"
        )
        for n, patient in enumerate(patients)
        for days in (28, 0)
    )
    made = Course.objects.bulk_create(
        Course(clinic=clinic, patient=patient, source="bone-marrow", not_before=today)
        for patient in patients
    )
    CellBatch.objects.bulk_create(
        CellBatch(
            clinic=clinic,
            course=course,
            lot_number=f"L{course.pk}",
            source="bone-marrow",
            expansion_started_on=today - dt.timedelta(days=30),
            expected_ready_from=today - dt.timedelta(days=16),
            expected_ready_by=today - dt.timedelta(days=9),
            status=BatchStatus.RELEASED,
            qc_released_on=today - dt.timedelta(days=9),
            doses=3,
            expires_on=today + dt.timedelta(days=300),
            qc_identity=True,
            qc_purity=True,
            qc_viability=True,
            qc_sterility=True,
        )
        for course in made
    )
    for course in made:
        course_replan(course=course, notify=False)
    # One course in ten has its first infusion booked where the plan put it.
    slots: Counter = Counter()
    for n, infusion in enumerate(
        Appointment.objects.filter(clinic=clinic, step_key="infusion-1").order_by("pk")
    ):
        if n % 10:
            continue
        day = infusion.starts_at
        slot = slots[day]
        if slot >= 8 * 13:  # eight rooms, thirteen 45-minute slots from 08:00: the day is full
            continue
        slots[day] += 1
        infusion.starts_at = day + dt.timedelta(minutes=45 * (slot // 8))
        infusion.ends_at = infusion.starts_at + dt.timedelta(minutes=45)
        infusion.room, infusion.clinician = rooms[slot % 8], doctors[slot % 8]
        infusion.status = AppointmentStatus.BOOKED
        infusion.save()
    return clinic


def busiest_booked_day(clinic: Clinic) -> dt.date:
    tomorrow = timezone.now() + dt.timedelta(days=1)
    days = Counter(
        a.starts_at.astimezone(clinic.zone).date()
        for a in Appointment.objects.filter(
            clinic=clinic, status=AppointmentStatus.BOOKED, starts_at__gte=tomorrow
        )
    )
    return days.most_common(1)[0][0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=5_000)
    courses = parser.parse_args().courses
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    clinic = seed(courses)
    print(f"seeded {courses} courses in {time.perf_counter() - started:.1f} s", flush=True)

    day = busiest_booked_day(clinic)
    closure = timed(
        clinic,
        lambda: ClosedDate.objects.create(clinic=clinic, date=day, reason="bench"),
        f"closing on {day}",
        replans.courses_with_visits_on(clinic, day),
    )
    protocol = timed(clinic, lambda: bump_threshold(clinic), "new protocol", None)
    if closure.needs_rebooking == 0 or protocol.done != courses:
        sys.exit("the closure flagged nothing, or the protocol change missed courses")


def bump_threshold(clinic: Clinic) -> None:
    clinic.thickness_threshold_mm += 1
    clinic.save(update_fields=["thickness_threshold_mm"])


def timed(clinic: Clinic, change, reason: str, course_ids: list[int] | None):
    """Save the change and follow it through, as the admin page and the task do."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(1)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        with transaction.atomic():
            change()
            run = replans.clinic_replan_request(clinic=clinic, reason=reason, course_ids=course_ids)
        run = replans.replan_run_execute(run.pk)
    seconds = time.perf_counter() - started
    print(
        f"{reason}: {run.done} courses re-planned in {seconds:.1f} s "
        f"({run.done / seconds:.0f} courses/s; target for a closure <= {TARGET_SECONDS:.0f} s); "
        f"{run.needs_rebooking} booked visits need re-booking; "
        f"{len(statements) / max(run.done, 1):.1f} SQL statements per course",
        flush=True,
    )
    return run


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        DATABASE.remove()
