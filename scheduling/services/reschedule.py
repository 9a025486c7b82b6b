"""Staff answer a patient's reschedule request: what was done, by whom, when (audited)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scheduling.models import RescheduleRequest, User

RESOLUTION_MAX = 300


def reschedule_request_resolve(
    *, request: RescheduleRequest, resolution: str, actor: User
) -> RescheduleRequest:
    """Close an open request with what staff did ("moved to Thu 10 Dec", "called her, she
    keeps it"). A request already resolved is refused with who resolved it, never overwritten."""
    resolution = " ".join(resolution.split())
    if not resolution:
        raise ValidationError({"resolution": "Say what was done, e.g. “moved to Thu 10 Dec”."})
    if len(resolution) > RESOLUTION_MAX:
        raise ValidationError({"resolution": f"Please keep it under {RESOLUTION_MAX} characters."})
    with transaction.atomic():
        # Its own row only: two people resolving at once, the second is told who was first.
        locked = RescheduleRequest.objects.select_for_update().get(pk=request.pk)
        if locked.resolved_at is not None:
            who = locked.resolved_by.get_full_name() if locked.resolved_by else "someone"
            raise ValidationError(
                f"This request was already resolved by {who or 'someone'}: {locked.resolution}"
            )
        locked.resolution = resolution
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["resolution", "resolved_by", "resolved_at"])
    return locked
