"""A process killed between a fact and its re-plan leaves no fact without its plan.

The fact and the re-plan are one transaction (services/recording.py, services/periods.py): a
separate OS process records a period start and is killed (SIGKILL) after the fact is written
and while the re-plan runs; afterwards the database holds neither, and the same report made
again is applied with its re-plan. A re-plan asked for and never run (a settings change whose
worker was lost) is finished by the sweeper.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from scheduling.models import Course, PeriodStart
from scheduling.services import periods, replans
from tests import services
from tests.planning.conftest import live, local_day

pytestmark = [pytest.mark.django_db(transaction=True)]

TODAY = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)

CHILD = textwrap.dedent(
    """
    import os, sys, time
    import django
    import time_machine
    time_machine.travel({today!r}, tick=False).start()
    django.setup()
    from scheduling.models import Patient
    from scheduling.services import periods, planning

    real = planning._Reconcile.run

    def stalled(self):
        result = real(self)  # the fact is written, the visits are being moved: now die
        open({marker!r}, "w").close()
        time.sleep(60)
        return result

    planning._Reconcile.run = stalled
    import datetime as dt
    patient = Patient.objects.get(pk={patient})
    periods.period_start_report(patient=patient, date=dt.date(2026, 2, 26))
    """
)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_a_kill_between_the_fact_and_its_replan_leaves_neither(released_course, tmp_path):
    infusion = live(released_course, "infusion-1")
    before = local_day(infusion)
    marker = tmp_path / "replanning"
    env = dict(
        os.environ,
        DATABASE_URL=services.test_database_url(),
        DJANGO_SETTINGS_MODULE="clinic.settings",
    )
    script = CHILD.format(
        today=TODAY.isoformat(), marker=str(marker), patient=released_course.patient_id
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(marker, child)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()

    assert not PeriodStart.objects.filter(
        patient=released_course.patient, date=dt.date(2026, 2, 26)
    ).exists()
    infusion.refresh_from_db()
    assert local_day(infusion) == before

    periods.period_start_report(patient=released_course.patient, date=dt.date(2026, 2, 26))
    infusion.refresh_from_db()
    assert local_day(infusion) == dt.date(2026, 3, 6)  # CD10 is a Saturday: Friday 6 March


def wait_for(marker: Path, child: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if child.poll() is not None:
            output = child.stdout.read().decode() if child.stdout else ""
            raise AssertionError(f"the child ended before its re-plan:\n{output}")
        assert time.monotonic() < deadline, "the child never reached its re-plan"
        time.sleep(0.05)


def test_a_replan_asked_for_and_never_run_is_finished_by_the_sweeper(released_course):
    infusion = live(released_course, "infusion-1")
    # A settings change marked the course; the worker that should re-plan it was lost.
    PeriodStart.objects.create(
        patient=released_course.patient, date=dt.date(2026, 2, 26), reported_by="staff"
    )
    Course.objects.filter(pk=released_course.pk).update(replan_requested_at=timezone.now())
    assert local_day(live(released_course, "infusion-1")) == local_day(infusion)

    assert replans.replan_sweep() == 0  # too recent: its own run may still be on the way
    ran = replans.replan_sweep(now=timezone.now() + dt.timedelta(minutes=3))

    assert ran == 1
    assert local_day(live(released_course, "infusion-1")) == dt.date(2026, 3, 6)
    released_course.refresh_from_db()
    assert released_course.replan_requested_at is None
