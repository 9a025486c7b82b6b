"""Celery tasks: thin wrappers that take ids or plain numbers and call a service."""

from celery import shared_task
from django.conf import settings

from scheduling.services.emails import email_log_purge


@shared_task
def purge_email_log() -> int:
    return email_log_purge(older_than_days=settings.EMAIL_LOG_RETENTION_DAYS)
