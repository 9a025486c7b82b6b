"""A task queued with .delay() runs in a real Celery worker process on a real Redis."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import EmailMessage
from scheduling.tasks import purge_email_log
from tests.services import wait_until

pytestmark = pytest.mark.services


def _log_email(patient, *, days_old: int, n: int) -> EmailMessage:
    email = EmailMessage.objects.create(
        clinic=patient.clinic,
        patient=patient,
        kind="welcome",
        to=patient.email,
        subject="Reminder",
        body_text="…",
        message_id=f"<test-{n}@endoplan.local>",
        status="sent",
    )
    EmailMessage.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_old)
    )
    return email


def test_delay_runs_in_a_worker_process_and_changes_the_database(
    celery_worker, patient_a, settings
):
    settings.EMAIL_LOG_RETENTION_DAYS = 30  # read in this process only; the worker has 400
    old = _log_email(patient_a, days_old=500, n=1)
    recent = _log_email(patient_a, days_old=10, n=2)

    purge_email_log.delay()

    wait_until(
        lambda: not EmailMessage.objects.filter(pk=old.pk).exists(),
        timeout=30,
        message=f"worker did not purge the old email:\n{celery_worker.output()}",
    )
    assert EmailMessage.objects.filter(pk=recent.pk).exists()
    assert "scheduling.tasks.purge_email_log" in celery_worker.output()
