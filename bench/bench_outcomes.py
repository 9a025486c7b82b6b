"""The outcomes report for a 5,000-patient clinic with outcomes, through gunicorn.

Seeds a clinic of 5,000 patients, each with a course started in the last three years (regular
cycles, one to three infusions, each with its response ultrasound, a thickness on the first
infusion day; transfers, pregnancy tests, clinical pregnancies, miscarriages, live births,
courses lost to follow-up) into a throw-away SQLite file (or DATABASE_URL when set), starts
gunicorn with 2 workers and prints the first request, the median and 95th percentile of the
outcomes page (the default period: every course), of the public disclosure page and its PDF,
with each one's SQL query count: once with the cache (figures kept until the clinic's next
audited write) and once with it disabled (``uncached_settings``: a dummy cache, so every request
reads and computes the report). The seed bypasses the re-plan, so each course's decided
response is filled as migration 0010 fills it (timed: the upgrade's cost at this size).
Target: outcomes page median <= 150 ms.
"""

import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway_db import ThrowawayDatabase

DATABASE = ThrowawayDatabase("outcomes")
PATIENTS = 5_000
REQUESTS, WARMUP = 100, 10
PASSWORD = "bench-password-not-secret"  # noqa: S105

import django  # noqa: E402

django.setup()

from bench_workspace import get, start_gunicorn  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from scheduling.models import (  # noqa: E402
    VISIT_MINUTES,
    Appointment,
    Clinic,
    Course,
    CourseOutcome,
    Membership,
    Patient,
    PeriodStart,
    ThicknessMeasurement,
    User,
)
from scheduling.services.course_responses import course_responses_fill  # noqa: E402
from tests.services import free_port  # noqa: E402

SOURCES = ["bone-marrow", "adipose", "menstrual-blood", "umbilical-cord"]
STATUSES = ["completed", "transferred", "responded", "lost-to-follow-up"]


def _visit(clinic, patient, course, kind, day, key):
    starts = dt.datetime.combine(day, dt.time(10), tzinfo=clinic.zone)
    return Appointment(
        clinic=clinic, patient=patient, course=course, kind=kind, step_key=key, status="done",
        starts_at=starts, ends_at=starts + dt.timedelta(minutes=VISIT_MINUTES[kind]),
    )  # fmt: skip


def seed() -> User:
    random.seed(15)
    clinic = Clinic.objects.create(
        name="Bench Fertility", slug="bench", time_zone="Europe/London", disclosure_public=True
    )
    admin = User.objects.create_user("admin", password=PASSWORD)
    Membership.objects.create(user=admin, clinic=clinic, role="admin")
    today = dt.date.today()  # noqa: DTZ011 - a seed date, any zone will do
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic, mrn=f"B{n:06d}", first_name="Pat", last_name=f"Bench{n}",
                email=f"b{n}@patients.example", time_zone="Europe/London",
                diagnosis="asherman" if n % 3 == 0 else "thin-endometrium",
                asherman_severity=("mild", "moderate", "severe")[n % 9 // 3] if n % 3 == 0 else "",
                baseline_thickness_mm=Decimal(f"{random.uniform(4.0, 6.5):.1f}"),
                date_of_birth=dt.date(1980 + n % 15, 1 + n % 12, 1 + n % 28),
            )
            for n in range(PATIENTS)
        ],
        batch_size=1000,
    )  # fmt: skip
    firsts = [today - dt.timedelta(days=random.randrange(60, 1080)) for _ in patients]
    courses = Course.objects.bulk_create(
        [
            Course(
                clinic=clinic, patient=patient, source=SOURCES[n % 4],
                route="intrauterine-artery" if n % 7 == 3 else "intrauterine",
                not_before=first - dt.timedelta(days=20),
                status=random.choice(STATUSES),
            )
            for n, (patient, first) in enumerate(zip(patients, firsts, strict=True))
        ],
        batch_size=1000,
    )  # fmt: skip
    periods, visits, results, outcomes = [], [], [], []
    for patient, course, first in zip(patients, courses, firsts, strict=True):
        cycle_one = first - dt.timedelta(days=9)
        periods += [
            PeriodStart(patient=patient, date=cycle_one + dt.timedelta(days=28 * n),
                        reported_by="patient")
            for n in range(-3, 8)
        ]  # fmt: skip
        infusions = random.choice([1, 1, 2, 3])
        for number in range(1, infusions + 1):
            infused = first + dt.timedelta(days=28 * (number - 1))
            visits.append(
                _visit(clinic, patient, course, "infusion", infused, f"infusion-{number}")
            )
            on = infused + dt.timedelta(days=30)
            if on < today:
                ultrasound = _visit(
                    clinic, patient, course, "ultrasound", on, f"ultrasound-{number}"
                )
                visits.append(ultrasound)
                mm = random.uniform(7.0, 9.0) if random.random() < 0.7 else random.uniform(5, 6.9)
                results.append((course, ultrasound, on, mm))
        results.append((course, None, first, float(patient.baseline_thickness_mm)))
        transfer = first + dt.timedelta(days=28 * infusions + 90)
        if random.random() < 0.6 and transfer + dt.timedelta(days=260) < today:
            outcomes.append((course, transfer, random.random()))
    Appointment.objects.bulk_create(visits, batch_size=2000)
    PeriodStart.objects.bulk_create(periods, batch_size=2000)
    ThicknessMeasurement.objects.bulk_create(
        [
            ThicknessMeasurement(course=c, appointment=a, measured_on=on,
                                 thickness_mm=Decimal(f"{mm:.1f}"))
            for c, a, on, mm in results
        ],
        batch_size=2000,
    )  # fmt: skip
    tests = CourseOutcome.objects.bulk_create(
        [
            CourseOutcome(course=c, kind="pregnancy-test", occurred_on=t + dt.timedelta(days=12),
                          beta_hcg=Decimal(300 if luck < 0.6 else 2), positive=luck < 0.6)
            for c, t, luck in outcomes
        ],
        batch_size=2000,
    )  # fmt: skip
    rows = []
    for (course, transfer, luck), test in zip(outcomes, tests, strict=True):
        rows.append(
            CourseOutcome(course=course, kind="transfer", occurred_on=transfer, embryos=1,
                          embryo_stage="blastocyst", transfer_type="frozen")
        )  # fmt: skip
        if luck < 0.5:
            rows.append(
                CourseOutcome(course=course, kind="clinical-pregnancy", heartbeat=True, sacs=1,
                              occurred_on=transfer + dt.timedelta(days=35))
            )  # fmt: skip
            if luck < 0.1:
                rows.append(
                    CourseOutcome(course=course, kind="miscarriage", weeks=10,
                                  occurred_on=transfer + dt.timedelta(days=56))
                )  # fmt: skip
            else:
                rows.append(
                    CourseOutcome(course=course, kind="live-birth", weeks=38, babies=1,
                                  pregnancy_test=test,
                                  occurred_on=transfer + dt.timedelta(days=252))
                )  # fmt: skip
    CourseOutcome.objects.bulk_create(rows, batch_size=2000)
    return admin


def sign_in(port: int) -> str:
    import http.client
    import http.cookies
    import urllib.parse

    _, _, response = get(port, "/login/", "")
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    token = jar["csrftoken"].value
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    form = urllib.parse.urlencode(
        {"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={token}",
        "Referer": f"http://127.0.0.1:{port}/login/",
    }
    conn.request("POST", "/login/", form, headers)
    response = conn.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    conn.close()
    if "sessionid" not in jar:
        raise SystemExit(f"sign-in failed: HTTP {response.status}")
    return f"csrftoken={token}; sessionid={jar['sessionid'].value}"


def timed(port: int, path: str, cookie: str, requests: int) -> tuple[float, list[float]]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _, _ = get(port, path, cookie)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    return timings[0], timings[1:]


def query_counts(admin, pages: dict) -> dict[str, int]:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    counts = {}
    for name, (url, _) in pages.items():
        client.get(url)  # the cache (when on) holds the figures: the steady state
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[name] = len(queries)
    return counts


def measure(pages: dict, counts: dict[str, int], label: str) -> None:
    port = free_port()
    server = start_gunicorn(port)
    try:
        cookie = sign_in(port)
        print(f"{label}:")
        print(f"{'page':30} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for name, (url, requests) in pages.items():
            first, rest = timed(port, url, cookie, requests + WARMUP)
            rest = sorted(rest[WARMUP - 1 :])
            p95 = rest[int(len(rest) * 0.95) - 1]
            print(
                f"{name:30} {first:9.1f} {statistics.median(rest):10.1f} {p95:8.1f} "
                f"{counts[name]:8d}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    admin = seed()
    print(
        f"seeded {Patient.objects.count():,} patients, {Course.objects.count():,} courses, "
        f"{Appointment.objects.count():,} visits, {ThicknessMeasurement.objects.count():,} "
        f"results, {CourseOutcome.objects.count():,} outcomes in "
        f"{time.perf_counter() - started:.0f} s ({connection.vendor})"
    )
    started = time.perf_counter()
    filled = course_responses_fill()
    print(
        f"decided responses filled for {filled:,} courses in {time.perf_counter() - started:.1f} s"
    )
    pages = {
        "outcomes page (all courses)": ("/outcomes/", REQUESTS),
        "public disclosure page": ("/disclosure/bench/", REQUESTS),
        "public disclosure PDF": ("/disclosure/bench/report.pdf", 20),
    }
    try:
        measure(pages, query_counts(admin, pages), "with the cache")
        with override_settings(CACHES=UNCACHED):
            counts = query_counts(admin, pages)
        os.environ["DJANGO_SETTINGS_MODULE"] = "uncached_settings"
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH")])
        )
        measure(pages, counts, "without the cache")
    finally:
        if not os.environ.get("BENCH_KEEP_DB"):
            DATABASE.remove()


UNCACHED = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


if __name__ == "__main__":
    main()
