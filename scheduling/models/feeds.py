"""Calendar subscriptions: a secret iCalendar address per room or clinician, revocable."""

import secrets

from django.conf import settings
from django.db import models

from scheduling.models.clinics import Clinic, Room


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """Whoever knows the token reads the feed, so it is long, random and can be revoked."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_feeds",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(room__isnull=False) & models.Q(clinician__isnull=True))
                | (models.Q(room__isnull=True) & models.Q(clinician__isnull=False)),
                name="calendar_feed_room_xor_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed for {self.room or self.clinician}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
