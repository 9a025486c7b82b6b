from functools import wraps

from django.core.exceptions import PermissionDenied


def clinic_member_required(view):
    """Staff without a clinic membership (e.g. a bare superuser) see no patient data."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.clinic is None:
            raise PermissionDenied("Your account is not a member of any clinic.")
        return view(request, *args, **kwargs)

    return wrapper
