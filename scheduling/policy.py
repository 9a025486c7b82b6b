"""Who may do what to which record: the one place that answers it.

Views, the calendar feed and exports ask here; they never check roles themselves. An object of
another clinic is reported as not found (404), so its existence is not revealed; a known object
the role may not touch is forbidden (403).
"""

from enum import StrEnum
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from scheduling.models import Role

M = TypeVar("M", bound=Model)


class Action(StrEnum):
    VIEW_PATIENTS = "view-patients"  # patients, courses, appointments, cycle history, emails
    EDIT_PATIENTS = "edit-patients"  # create/edit patients and courses
    BOOK = "book"  # book, move, confirm, cancel appointments; record CD1, no-show, harvest
    RECORD_RESULTS = "record-results"  # thickness results, infusion done, repeat decisions
    VIEW_BATCHES = "view-batches"
    MANAGE_BATCHES = "manage-batches"  # expansion progress, QC release, doses
    ADMINISTER = "administer"  # rooms, staff, opening days, protocol parameters
    VIEW_AUDIT = "view-audit"


PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.COORDINATOR: frozenset(
        {Action.VIEW_PATIENTS, Action.EDIT_PATIENTS, Action.BOOK, Action.VIEW_BATCHES}
    ),
    Role.PHYSICIAN: frozenset({Action.VIEW_PATIENTS, Action.RECORD_RESULTS, Action.VIEW_BATCHES}),
    Role.LAB: frozenset({Action.VIEW_BATCHES, Action.MANAGE_BATCHES}),
    Role.ADMIN: frozenset(
        {
            Action.VIEW_PATIENTS,
            Action.EDIT_PATIENTS,
            Action.BOOK,
            Action.VIEW_BATCHES,
            Action.ADMINISTER,
            Action.VIEW_AUDIT,
        }
    ),
}


def allowed(request, action: Action) -> bool:
    """May the signed-in staff member do this in their clinic?"""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_active:
        return False
    return action in PERMISSIONS.get(membership.role, frozenset())


def require(request, action: Action) -> None:
    if not allowed(request, action):
        raise PermissionDenied("Your role does not allow this.")


def scoped(request, queryset: QuerySet[M], action: Action) -> QuerySet[M]:
    """The rows of the user's clinic, after checking the role may do `action` at all."""
    require(request, action)
    return queryset.filter(clinic=request.clinic)


def get_for(request, queryset: QuerySet[M], action: Action, **lookup) -> M:
    """One row of the user's clinic: 403 for a role without `action`, 404 for anything else."""
    try:
        return scoped(request, queryset, action).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404("Not found.") from None
