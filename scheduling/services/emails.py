"""Writes about the email log."""

import datetime as dt

from django.utils import timezone

from scheduling.models import EmailMessage


def email_log_purge(*, older_than_days: int) -> int:
    """Delete logged emails older than the retention period; returns how many were deleted."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _ = EmailMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted
