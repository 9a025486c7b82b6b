"""Calendar subscriptions: create and revoke a secret feed address.

Both are audited (scheduling/audit.py), the token only as "(hidden)": each write and its event
are saved in one transaction.
"""

from django.db import transaction
from django.utils import timezone

from scheduling.models import CalendarFeed, Clinic, Room, User


def calendar_feed_create(
    *, clinic: Clinic, room: Room | None, clinician: User | None, created_by: User | None
) -> CalendarFeed:
    feed = CalendarFeed(clinic=clinic, room=room, clinician=clinician, created_by=created_by)
    feed.full_clean()
    with transaction.atomic():
        feed.save()
    return feed


def calendar_feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        with transaction.atomic():
            feed.save(update_fields=["revoked_at"])
    return feed
