"""Calendar subscriptions: create and revoke a secret feed address."""

from django.utils import timezone

from scheduling.models import CalendarFeed, Clinic, Room, User


def calendar_feed_create(
    *, clinic: Clinic, room: Room | None, clinician: User | None, created_by: User | None
) -> CalendarFeed:
    feed = CalendarFeed(clinic=clinic, room=room, clinician=clinician, created_by=created_by)
    feed.full_clean()
    feed.save()
    return feed


def calendar_feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed
