import zoneinfo

from django.utils import timezone

from scheduling.models import Membership


class ClinicMiddleware:
    """Attach the signed-in staff member's clinic and role; show times in the clinic's zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.clinic = None
        if request.user.is_authenticated:
            membership = (
                Membership.objects.select_related("clinic")
                .filter(user=request.user)
                .order_by("clinic__name")
                .first()
            )
            if membership is not None:
                request.membership = membership
                request.clinic = membership.clinic
                timezone.activate(zoneinfo.ZoneInfo(membership.clinic.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
