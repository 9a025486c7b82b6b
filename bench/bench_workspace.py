"""The coordinator workspace under load: calendar feed, today page, through gunicorn.

Seeds a clinic of 5,000 patients and 100,000 appointments over two years into a throw-away
SQLite file (or DATABASE_URL when set), starts gunicorn with 2 workers, and prints the median
and 95th-percentile latency of the one-week and one-month calendar feed (all rooms), of the
today page, and of the login page (a bare Django view: the floor), plus each one's SQL query
count. Targets: one-week feed median <= 15 ms, one-month feed <= 60 ms.
"""

import datetime as dt
import http.client
import http.cookies
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway_db import BASE_DIR, ThrowawayDatabase

DATABASE = ThrowawayDatabase("workspace")
PATIENTS, APPOINTMENTS, ROOMS, PHYSICIANS = 5_000, 100_000, 6, 10
REQUESTS, WARMUP = 200, 20
PASSWORD = "bench-password-not-secret"  # noqa: S105

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheduling.models import (  # noqa: E402
    VISIT_MINUTES,
    Appointment,
    Clinic,
    Membership,
    Patient,
    Room,
    User,
)
from tests.services import free_port  # noqa: E402

KINDS = list(VISIT_MINUTES)


def seed() -> tuple[Clinic, User, dt.date]:
    random.seed(4)
    clinic = Clinic.objects.create(name="Bench Fertility", slug="bench", time_zone="Europe/London")
    rooms = Room.objects.bulk_create(
        [Room(clinic=clinic, name=f"Room {n + 1}") for n in range(ROOMS)]
    )
    physicians = []
    for n in range(PHYSICIANS):
        user = User.objects.create_user(f"physician{n}", password=PASSWORD)
        Membership.objects.create(user=user, clinic=clinic, role="physician")
        physicians.append(user)
    coordinator = User.objects.create_user("coordinator", password=PASSWORD)
    Membership.objects.create(user=coordinator, clinic=clinic, role="coordinator")
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                mrn=f"B{n:06d}",
                first_name="Pat",
                last_name=f"Bench{n}",
                email=f"b{n}@patients.example",
                time_zone="Europe/London",
                diagnosis="thin-endometrium",
            )
            for n in range(PATIENTS)
        ],
        batch_size=1000,
    )
    today = dt.date.today()  # noqa: DTZ011 - a seed date, any zone will do
    first = today - dt.timedelta(days=365)
    zone = clinic.zone
    statuses = ["booked"] * 5 + ["confirmed"] * 2 + ["done"] * 2 + ["tentative"]
    batch = []
    for n in range(APPOINTMENTS):
        day = first + dt.timedelta(days=random.randrange(730))
        kind = random.choice(KINDS)
        starts = dt.datetime.combine(day, dt.time(8), tzinfo=zone) + dt.timedelta(
            minutes=15 * random.randrange(36)
        )
        status = random.choice(statuses)
        batch.append(
            Appointment(
                clinic=clinic,
                patient=patients[n % PATIENTS],
                kind=kind,
                status=status,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=VISIT_MINUTES[kind]),
                uncertainty_days=2 if status == "tentative" else 0,
                room=None if status == "tentative" else random.choice(rooms),
                clinician=None if status == "tentative" else random.choice(physicians),
            )
        )
        if len(batch) == 10_000:
            Appointment.objects.bulk_create(batch)
            batch = []
    Appointment.objects.bulk_create(batch)
    return clinic, coordinator, today


def week_and_month(today: dt.date) -> dict[str, str]:
    monday = today - dt.timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    grid = month_start - dt.timedelta(days=month_start.weekday())
    return {
        "calendar feed, one week": "/calendar/events.json?"
        + urllib.parse.urlencode({"start": f"{monday}", "end": f"{monday + dt.timedelta(7)}"}),
        "calendar feed, one month": "/calendar/events.json?"
        + urllib.parse.urlencode({"start": f"{grid}", "end": f"{grid + dt.timedelta(42)}"}),
        "today page": "/",
        "login page (floor)": "/login/",
    }


def query_counts(user: User, urls: dict[str, str]) -> dict[str, tuple[int, int]]:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        body = response.content
        counts[name] = (len(queries), body.count(b"],[") + 1 if "events.json" in url else 0)
    return counts


def start_gunicorn(port: int) -> subprocess.Popen:
    env = dict(os.environ, DEBUG="False")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clinic.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(port, "/login/", "")
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def get(port: int, path: str, cookie: str) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, response


def sign_in(port: int) -> str:
    _, _, response = get(port, "/login/", "")
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    token = jar["csrftoken"].value
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    form = urllib.parse.urlencode(
        {"username": "coordinator", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    conn.request(
        "POST",
        "/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={token}",
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    conn.close()
    if "sessionid" not in jar:
        raise SystemExit(f"sign-in failed: HTTP {response.status}")
    return f"csrftoken={token}; sessionid={jar['sessionid'].value}"


def measure(port: int, path: str, cookie: str) -> list[float]:
    timings = []
    for n in range(WARMUP + REQUESTS):
        started = time.perf_counter()
        status, _, _ = get(port, path, cookie)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        if n >= WARMUP:
            timings.append(elapsed)
    return timings


def main() -> None:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    _, coordinator, today = seed()
    print(
        f"seeded {Patient.objects.count():,} patients and {Appointment.objects.count():,} "
        f"appointments in {time.perf_counter() - started:.0f} s ({connection.vendor})"
    )
    urls = week_and_month(today)
    counts = query_counts(coordinator, urls)
    port = free_port()
    server = start_gunicorn(port)
    try:
        cookie = sign_in(port)
        print(f"{'endpoint':28} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'events':>7}")
        for name, url in urls.items():
            timings = sorted(measure(port, url, cookie))
            p95 = timings[int(len(timings) * 0.95) - 1]
            queries, events = counts[name]
            print(
                f"{name:28} {statistics.median(timings):10.1f} {p95:8.1f} {queries:8d} "
                f"{events or '':>7}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not os.environ.get("BENCH_KEEP_DB"):
            DATABASE.remove()


if __name__ == "__main__":
    main()
