"""Who may do what to which record: the one place that answers it.

Views, the calendar feed and exports ask here; they never check roles themselves. An object of
another clinic is reported as not found (404), so its existence is not revealed; a known object
the role may not touch is forbidden (403).

    policy.require(request, Action.BOOK)                        # 403 unless the role may
    policy.scoped(request, Appointment.objects.all(), Action.VIEW_PATIENTS)   # own clinic only
    policy.get_for(request, Patient.objects.all(), Action.EDIT_PATIENTS, pk=pk)  # 403 / 404
    policy.allowed_on(request, Action.BOOK, appointment)        # True / False, no exception

Records that carry no `clinic` of their own are scoped through the record that does
(CLINIC_PATHS). Patients never sign in: a signed link (scheduling/links.py) is signed with a
salt per purpose, so it reaches exactly the one page it was made for and nothing here.
"""

from enum import StrEnum
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
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
    VIEW_AUDIT = "view-audit"  # read and export the audit log
    ALLOCATE_DOSES = "allocate-doses"  # reserve a donor-lot dose for a UC course
    VIEW_OUTCOMES = "view-outcomes"  # the clinic's outcomes report (aggregate figures)
    EXPORT_OUTCOMES = "export-outcomes"  # the de-identified per-course CSV (audited)


PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.COORDINATOR: frozenset(
        {
            Action.VIEW_PATIENTS,
            Action.EDIT_PATIENTS,
            Action.BOOK,
            Action.VIEW_BATCHES,
            Action.ALLOCATE_DOSES,
        }
    ),
    Role.PHYSICIAN: frozenset(
        {Action.VIEW_PATIENTS, Action.RECORD_RESULTS, Action.VIEW_BATCHES, Action.VIEW_OUTCOMES}
    ),
    Role.LAB: frozenset({Action.VIEW_BATCHES, Action.MANAGE_BATCHES, Action.ALLOCATE_DOSES}),
    Role.ADMIN: frozenset(
        {
            Action.VIEW_PATIENTS,
            Action.EDIT_PATIENTS,
            Action.BOOK,
            Action.VIEW_BATCHES,
            Action.ADMINISTER,
            Action.VIEW_AUDIT,
            Action.VIEW_OUTCOMES,
            Action.EXPORT_OUTCOMES,
            Action.ALLOCATE_DOSES,
        }
    ),
}

# How to reach the clinic from a record that has no `clinic` field (model name → lookup path).
CLINIC_PATHS: dict[str, str] = {
    "reminder": "appointment__clinic",
    "thicknessmeasurement": "course__clinic",
    "courseoutcome": "course__clinic",
    "courseconsent": "course__clinic",
    "periodstart": "patient__clinic",
}


def role_of(request) -> str | None:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if membership is None or user is None or not user.is_authenticated or not user.is_active:
        return None
    return membership.role


def allowed(request, action: Action) -> bool:
    """May the signed-in staff member do this in their clinic?"""
    role = role_of(request)
    return role is not None and action in PERMISSIONS.get(role, frozenset())


def require(request, action: Action) -> None:
    if not allowed(request, action):
        raise PermissionDenied("Your role does not allow this.")


def clinic_lookup(model: type[Model]) -> str:
    """The ORM path from `model` to its clinic."""
    if any(f.name == "clinic" for f in model._meta.get_fields()):
        return "clinic"
    path = CLINIC_PATHS.get(model._meta.model_name)
    if path is not None:
        return path
    raise TypeError(f"{model.__name__} has no clinic: add it to policy.CLINIC_PATHS")


def scoped(request, queryset: QuerySet[M], action: Action) -> QuerySet[M]:
    """The rows of the user's clinic, after checking the role may do `action` at all."""
    require(request, action)
    return queryset.filter(**{clinic_lookup(queryset.model): request.clinic})


def get_for(request, queryset: QuerySet[M], action: Action, **lookup) -> M:
    """One row of the user's clinic: 403 for a role without `action`, 404 for anything else.

    A malformed key (e.g. letters for an id) is also "not found", never a 500.
    """
    try:
        return scoped(request, queryset, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("Not found.") from None


def clinic_id_of(obj: Model) -> int | None:
    """The id of the clinic `obj` belongs to (following CLINIC_PATHS), without a query if cached."""
    current: object = obj
    for part in clinic_lookup(type(obj)).split("__")[:-1]:
        current = getattr(current, part, None)
        if current is None:
            return None
    return getattr(current, "clinic_id", None)


def allowed_on(request, action: Action, obj: Model) -> bool:
    """May the staff member do `action` to this one record (their role and their clinic)?"""
    clinic = getattr(request, "clinic", None)
    return allowed(request, action) and clinic is not None and clinic_id_of(obj) == clinic.pk
