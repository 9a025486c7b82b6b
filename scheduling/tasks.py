"""Celery tasks: thin wrappers that take ids or plain numbers and call a service.

Reminders are never ETA or countdown tasks: beat runs `dispatch_reminders` on a plain interval,
and the outbox rows decide what is due (DESIGN.md §4). `acks_late`, prefetch 1 and the hard
time limit below the broker's visibility timeout are global settings (clinic/settings.py).
"""

from celery import shared_task
from django.conf import settings

from scheduling.services.emails import email_log_purge
from scheduling.services.outbox import reminders_dispatch, reminders_send
from scheduling.services.replans import replan_run_execute, replan_sweep


@shared_task
def purge_email_log() -> int:
    return email_log_purge(older_than_days=settings.EMAIL_LOG_RETENTION_DAYS)


@shared_task
def dispatch_reminders() -> int:
    return reminders_dispatch()


@shared_task
def send_reminders(reminder_ids: list[int], token: str) -> dict[str, int]:
    return reminders_send(ids=reminder_ids, token=token)


@shared_task
def replan_clinic(run_id: int) -> int:
    """Re-plan every course a settings change marked (services/replans.py)."""
    return replan_run_execute(run_id).done


@shared_task
def sweep_replans() -> int:
    """Finish re-plans that were asked for and never ran (a crash, a lost worker)."""
    return replan_sweep()
