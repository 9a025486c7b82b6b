"""The audit trail, captured in one place.

Every create, change and delete of the audited models is recorded by the signal handlers
below, inside the same transaction as the write (a rolled-back write leaves no event). Who did
it comes from a context variable: `AuditActorMiddleware` sets it to the signed-in staff member
for each request; services, Celery tasks and patient links say who acts with
`with audit.acting_as(user_or_label):`. Anything else is recorded as "system".

Writes that bypass model signals (`QuerySet.update()`, `bulk_create()`) are not seen here:
services that change audited rows must save them one by one.

A view of a patient record is recorded with `record_view(request, patient)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from scheduling import security
from scheduling.models import (
    Appointment,
    AuditAction,
    AuditEvent,
    CellBatch,
    Course,
    Membership,
    Patient,
    PeriodStart,
    Reminder,
    ThicknessMeasurement,
)

SYSTEM = "system"
PATIENT_LINK = "patient link"
ANONYMOUS = "anonymous"

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
    }
)


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None
    label: str
    ip_address: str | None = None


_current: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def _actor_for(who: AbstractBaseUser | str | None, ip_address: str | None = None) -> Actor:
    if who is None:
        return Actor(user=None, label=SYSTEM, ip_address=ip_address)
    if isinstance(who, str):
        return Actor(user=None, label=who[:150], ip_address=ip_address)
    return Actor(user=who, label=who.get_username()[:150], ip_address=ip_address)


def current_actor() -> Actor:
    return _current.get() or Actor(user=None, label=SYSTEM)


@contextlib.contextmanager
def acting_as(who: AbstractBaseUser | str | None, *, ip_address: str | None = None) -> Iterator:
    """Attribute every audited write inside the block to `who` (a user or a label)."""
    token = _current.set(_actor_for(who, ip_address))
    try:
        yield
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    return security.client_address(request)


class AuditActorMiddleware:
    """Attribute the request's writes to the signed-in staff member (or to a patient link)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        who = user if user is not None and user.is_authenticated else ANONYMOUS
        with acting_as(who, ip_address=client_ip(request)):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Patient links are anonymous requests under p/; name them in the trail as such.
        route = getattr(request.resolver_match, "route", "") or ""
        if not request.user.is_authenticated and route.startswith("p/"):
            _current.set(_actor_for(PATIENT_LINK, client_ip(request)))
        return None


# What is audited, and how to find each record's clinic and patient -----------------------------


def _through(model: type[models.Model], pk: int | None) -> tuple[int | None, int | None]:
    if pk is None:
        return None, None
    row = model._base_manager.filter(pk=pk).values_list("clinic_id", "patient_id").first()
    return row or (None, None)


def owner(instance: models.Model) -> tuple[int | None, int | None]:
    """The (clinic id, patient id) an audited record belongs to."""
    if isinstance(instance, Patient):
        return instance.clinic_id, instance.pk
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


AUDITED: tuple[type[models.Model], ...] = (
    Patient,
    Course,
    CellBatch,
    Appointment,
    Reminder,
    Membership,
    PeriodStart,
    ThicknessMeasurement,
)


def object_type(model: type[models.Model]) -> str:
    return model._meta.model_name


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in IGNORED_FIELDS]


def _plain(value):
    """A value as it goes into the JSON of `changes`."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _snapshot(instance: models.Model) -> dict[str, object]:
    return {f.name: _plain(getattr(instance, f.attname)) for f in _fields(type(instance))}


def _record(instance: models.Model, action: str, changes: dict) -> None:
    actor = current_actor()
    clinic_id, patient_id = owner(instance)
    AuditEvent.objects.create(
        clinic_id=clinic_id,
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        object_type=object_type(type(instance)),
        object_id=str(instance.pk),
        patient_id=patient_id,
        changes=changes,
        ip_address=actor.ip_address,
    )


def _before_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        instance._audit_before = None
        return
    names = {f.name: f.attname for f in _fields(sender)}
    row = sender._base_manager.filter(pk=instance.pk).values(*names.values()).first()
    instance._audit_before = (
        None if row is None else {name: _plain(row[att]) for name, att in names.items()}
    )


def _after_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    after = _snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if created or before is None:
        _record(instance, AuditAction.CREATE, {k: [None, v] for k, v in after.items()})
        return
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        _record(instance, AuditAction.CHANGE, changes)


def _after_delete(sender, instance, **kwargs) -> None:
    _record(instance, AuditAction.DELETE, {k: [v, None] for k, v in _snapshot(instance).items()})


def record_view(request, patient: Patient) -> AuditEvent:
    """Log that the signed-in staff member opened this patient's record."""
    return AuditEvent.objects.create(
        clinic_id=patient.clinic_id,
        actor=request.user if request.user.is_authenticated else None,
        actor_label=request.user.get_username() if request.user.is_authenticated else ANONYMOUS,
        action=AuditAction.VIEW,
        object_type=object_type(Patient),
        object_id=str(patient.pk),
        patient_id=patient.pk,
        ip_address=client_ip(request),
    )


def connect() -> None:
    """Called once from SchedulingConfig.ready()."""
    for model in AUDITED:
        uid = f"audit-{object_type(model)}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-delete")
