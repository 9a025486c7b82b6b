"""What the audit trail records (scheduling/audit.py): which models, which of their fields,
how a row's values are written down (secrets hidden), and which clinic and patient each event
belongs to."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterable

from django.db import models
from django.db.models.fields.files import FieldFile

from scheduling.models import (
    Appointment,
    CalendarFeed,
    CellBatch,
    Clinic,
    ClosedDate,
    Course,
    CourseConsent,
    CourseOutcome,
    DonorLot,
    DoseAllocation,
    Membership,
    Patient,
    PeriodStart,
    Reminder,
    RescheduleRequest,
    Room,
    ThicknessMeasurement,
    User,
)

# What the trail says of a secret: that it was set or changed, never its value.
HIDDEN = "(hidden)"
# The object id of an event about many rows at once; their ids are in `changes["ids"]`.
MANY = "*"

# Fields whose changes say nothing a reader of the trail needs.
IGNORED_FIELDS = frozenset(
    {
        "created_at",
        "updated_at",
        "recorded_at",
        "reported_at",
        # A course's re-plan bookkeeping, derived from its facts (services/planning.py).
        "replan_requested_at",
        "plan_problem",
        "waits_for_dose",
    }
)

# Of these models only these fields are recorded.
ONLY_FIELDS: dict[type[models.Model], frozenset[str]] = {
    User: frozenset(
        {
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        }
    ),
}

# Recorded as HIDDEN: set, changed or cleared, never the value.
SECRET_FIELDS: dict[type[models.Model], frozenset[str]] = {
    User: frozenset({"password"}),
    CalendarFeed: frozenset({"token"}),
}


# What is audited, and how to find each record's clinic and patient -----------------------------

AUDITED: tuple[type[models.Model], ...] = (
    Patient,
    Course,
    CellBatch,
    Appointment,
    Reminder,
    Membership,
    PeriodStart,
    ThicknessMeasurement,
    CourseOutcome,
    CourseConsent,
    DoseAllocation,
    # The clinic's settings and protocol parameters, and what the planner and access rest on.
    Clinic,
    ClosedDate,
    Room,
    DonorLot,
    User,
    RescheduleRequest,
    CalendarFeed,
)


def _through(model: type[models.Model], pk: int | None) -> tuple[int | None, int | None]:
    if pk is None:
        return None, None
    row = model._base_manager.filter(pk=pk).values_list("clinic_id", "patient_id").first()
    return row or (None, None)


def owner(instance: models.Model) -> tuple[int | None, int | None]:
    """The (clinic id, patient id) an audited record belongs to."""
    if isinstance(instance, Patient):
        return instance.clinic_id, instance.pk
    if isinstance(instance, Clinic):
        return instance.pk, None
    clinic_id = getattr(instance, "clinic_id", None)
    patient_id = getattr(instance, "patient_id", None)
    if clinic_id is not None and (patient_id is not None or isinstance(instance, Membership)):
        return clinic_id, patient_id
    for via, model in (("appointment_id", Appointment), ("course_id", Course)):
        if getattr(instance, via, None) is not None:
            via_clinic, via_patient = _through(model, getattr(instance, via))
            return clinic_id or via_clinic, patient_id or via_patient
    if patient_id is not None and clinic_id is None:
        clinic_id = Patient._base_manager.filter(pk=patient_id).values_list("clinic_id", flat=True)
        return clinic_id.first(), patient_id
    return clinic_id, patient_id


def owners(instance: models.Model) -> list[tuple[int | None, int | None]]:
    """Where the events of `instance` go: a staff account's to each clinic she works for."""
    clinics = getattr(instance, "_audit_clinics", None)
    if clinics is None and not isinstance(instance, User):
        return [owner(instance)]
    if clinics is None:
        clinics = clinics_of(instance)
    return [(clinic_id, None) for clinic_id in clinics] or [(None, None)]


def clinics_of(user: User) -> list[int]:
    if user.pk is None:
        return []
    memberships = Membership._base_manager.filter(user_id=user.pk).order_by("clinic_id")
    return list(memberships.values_list("clinic_id", flat=True))


def object_type(model: type[models.Model]) -> str:
    return model._meta.model_name


def recorded_fields(model: type[models.Model]) -> list[models.Field]:
    only = ONLY_FIELDS.get(model)
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in IGNORED_FIELDS and (only is None or f.name in only)
    ]


def plain(value):
    """A value as it goes into the JSON of `changes`."""
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):  # an uploaded document: its stored name, never its bytes
        return value.name or None
    return value


def _hide(value):
    return None if value in (None, "") else HIDDEN


def changes_between(model: type[models.Model], before: dict | None, after: dict | None) -> dict:
    """{field: [old, new]} of the fields that differ; a missing side is a create or delete."""
    names = after.keys() if after is not None else (before or {}).keys()
    secrets = SECRET_FIELDS.get(model, frozenset())
    changes = {}
    for name in names:
        old = None if before is None else before.get(name)
        new = None if after is None else after.get(name)
        if before is not None and after is not None and old == new:
            continue
        if name in secrets:
            old, new = _hide(old), _hide(new)
        changes[name] = [old, new]
    return changes


def snapshot(instance: models.Model, names: Iterable[str] | None = None) -> dict[str, object]:
    fields = recorded_fields(type(instance))
    if names is not None:
        fields = [f for f in fields if f.name in names]
    return {f.name: plain(getattr(instance, f.attname)) for f in fields}
