"""The audit trail, captured in one place.

Every create, change and delete of the audited models (`AUDITED`) is recorded, inside the same
transaction as the write (a rolled-back write leaves no event). Who did it comes from a context
variable: `AuditActorMiddleware` sets it to the signed-in staff member for each request;
services, Celery tasks and patient links say who acts with `with audit.acting_as(who):`.
Anything else is recorded as "system".

Two ways in, one table:

- `save()` and `delete()` are seen by the signal handlers below, one event per row.
- Writes that bypass model signals (`QuerySet.update()`, `bulk_create()`, raw SQL) record
  themselves explicitly where they are made: `update_rows()` in place of `QuerySet.update()`
  (one event per row changed, old → new), `record_created()` after a `bulk_create()`, and
  `row_event()` + `write()` beside raw SQL. The reminder outbox's high-volume transport
  writes (claiming a batch, renewing its lease) are one event per clinic per statement,
  listing the row ids (`bulk_events()`); a send transaction writes its events in one INSERT.
  tests/security/test_audit_paths.py fails on any write site in scheduling/ that bypasses the
  signals without recording, unless it is one of the exemptions listed there.

Recording explicitly in the services, rather than with database triggers (django-pghistory and
the like), keeps one mechanism on SQLite and PostgreSQL alike and knows who acted. On
PostgreSQL the table itself refuses UPDATE and DELETE (migration 0005_audit_append_only).

Secrets never enter the trail: a staff account's password hash and a calendar feed's token are
recorded only as set or changed (`HIDDEN`). Of a staff account only the fields in
`ONLY_FIELDS` are recorded (not last_login, which every sign-in writes).

A view of a patient record is recorded with `record_view(request, patient)`, a download of an
export with `record_export(request, what=..., details=...)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, connections, models, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from scheduling.audit_actor import ANONYMOUS, client_ip, current_actor
from scheduling.audit_actor import PATIENT_LINK as PATIENT_LINK
from scheduling.audit_actor import SYSTEM as SYSTEM
from scheduling.audit_actor import Actor as Actor
from scheduling.audit_actor import AuditActorMiddleware as AuditActorMiddleware
from scheduling.audit_actor import acting_as as acting_as
from scheduling.audit_fields import (
    AUDITED,
    MANY,
    changes_between,
    clinics_of,
    object_type,
    owners,
    plain,
    recorded_fields,
    snapshot,
)
from scheduling.audit_fields import HIDDEN as HIDDEN
from scheduling.models import (
    AuditAction,
    AuditEvent,
    Clinic,
    Patient,
    User,
)

# Writing events -------------------------------------------------------------------------------


def event(
    model: type[models.Model],
    *,
    pk,
    clinic_id: int | None,
    patient_id: int | None,
    changes: dict,
    action: str = AuditAction.CHANGE,
) -> AuditEvent:
    """An unsaved event by the current actor; `write()` saves a list of them in one INSERT."""
    actor = current_actor()
    return AuditEvent(
        clinic_id=clinic_id,
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        object_type=object_type(model),
        object_id=str(pk),
        patient_id=patient_id,
        changes=changes,
        ip_address=actor.ip_address,
    )


def write(events: list[AuditEvent]) -> None:
    """Save the events in one INSERT (none: no query)."""
    if events:
        AuditEvent.objects.bulk_create(events)


# The outbox's send path: each event's INSERT parameters are made before the transaction that
# writes them (on SQLite it holds the one write lock all workers share), then the events of
# one transaction go in one plain INSERT.
PreparedAuditEvent = list
_COLUMNS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def prepare(audit_event: AuditEvent) -> PreparedAuditEvent:
    """The INSERT parameters of an unsaved event, adapted for the database."""
    return [f.get_db_prep_save(f.pre_save(audit_event, True), connection) for f in _COLUMNS]


def write_prepared(events: list[PreparedAuditEvent]) -> None:
    """Insert prepared events in one statement (none: no query)."""
    if not events:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _COLUMNS)
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    sql = f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql + ", ".join([row] * len(events)), [p for e in events for p in e])


def _owner_columns(model: type[models.Model]) -> list[str]:
    names = {f.attname for f in model._meta.concrete_fields}
    return [column for column in ("clinic_id", "patient_id") if column in names]


def update_rows(queryset: models.QuerySet, **values) -> int:
    """`queryset.update(**values)` that records one change event per row it changes (old → new).

    The rows are read and (on PostgreSQL) locked first, in the caller's transaction or one of
    its own, so the old values are those the update replaces; no matching row, no UPDATE.
    """
    model = queryset.model
    fields = {f.name: f for f in recorded_fields(model)}
    audited = {name: fields[name].attname for name in values if name in fields}
    owner_columns = _owner_columns(model)
    with transaction.atomic(using=queryset.db, savepoint=False):
        rows = queryset
        if connections[queryset.db].features.has_select_for_update_of:
            rows = rows.select_for_update(of=("self",))
        before = list(rows.values(*dict.fromkeys(["pk", *owner_columns, *audited.values()])))
        if not before:
            return 0
        count = queryset.filter(pk__in=[row["pk"] for row in before]).update(**values)
        events = []
        for row in before:
            old = {name: plain(row[att]) for name, att in audited.items()}
            new = {name: plain(values[name]) for name in audited}
            changes = changes_between(model, old, new)
            if changes:
                events.append(
                    event(
                        model,
                        pk=row["pk"],
                        clinic_id=row.get("clinic_id"),
                        patient_id=row.get("patient_id"),
                        changes=changes,
                    )
                )
        write(events)
    return count


def record_created(queryset: models.QuerySet) -> None:
    """After a `bulk_create()`: one create event per row of `queryset` (the rows it wrote)."""
    model = queryset.model
    fields = recorded_fields(model)
    owner_columns = _owner_columns(model)
    events = [
        event(
            model,
            pk=row["pk"],
            clinic_id=row.get("clinic_id"),
            patient_id=row.get("patient_id"),
            changes=changes_between(model, None, {f.name: plain(row[f.attname]) for f in fields}),
            action=AuditAction.CREATE,
        )
        for row in queryset.values(
            *dict.fromkeys(["pk", *owner_columns, *(f.attname for f in fields)])
        )
    ]
    write(events)


def row_event(instance: models.Model, changes: dict) -> AuditEvent:
    """An unsaved change event for a row a raw statement changes: `changes` is {field: [old,
    new]} (fields that did not change are left out). Reads no other row: `instance` carries
    its clinic_id and patient_id."""
    pairs = {name: [plain(old), plain(new)] for name, (old, new) in changes.items()}
    return event(
        type(instance),
        pk=instance.pk,
        clinic_id=getattr(instance, "clinic_id", None),
        patient_id=getattr(instance, "patient_id", None),
        changes={name: pair for name, pair in pairs.items() if pair[0] != pair[1]},
    )


def bulk_events(
    model: type[models.Model], rows: Iterable[tuple[int, int | None]], changes: dict
) -> list[AuditEvent]:
    """Unsaved events, one per clinic, for a statement that changed many rows alike: `rows`
    are (id, clinic id) pairs, `changes` the {field: [old, new]} they share; the ids listed."""
    ids_by_clinic: dict[int | None, list[int]] = defaultdict(list)
    for pk, clinic_id in rows:
        ids_by_clinic[clinic_id].append(pk)
    shared = {name: [plain(old), plain(new)] for name, (old, new) in changes.items()}
    return [
        event(
            model,
            pk=MANY,
            clinic_id=clinic_id,
            patient_id=None,
            changes={"ids": sorted(ids), **shared},
        )
        for clinic_id, ids in ids_by_clinic.items()
    ]


def _record(instance: models.Model, action: str, changes: dict) -> None:
    model = type(instance)
    write(
        [
            event(
                model,
                pk=instance.pk,
                clinic_id=clinic_id,
                patient_id=patient_id,
                changes=changes,
                action=action,
            )
            for clinic_id, patient_id in owners(instance)
        ]
    )


# The signal handlers --------------------------------------------------------------------------

_NOTHING_AUDITED = object()


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    instance._audit_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = recorded_fields(sender)
    if update_fields is not None:
        fields = [f for f in fields if f.name in update_fields or f.attname in update_fields]
        if not fields:
            # e.g. a sign-in's last_login: nothing recorded changes, nothing to read
            instance._audit_before = _NOTHING_AUDITED
            return
    names = {f.name: f.attname for f in fields}
    row = sender._base_manager.filter(pk=instance.pk).values(*names.values()).first()
    instance._audit_before = (
        None if row is None else {name: plain(row[att]) for name, att in names.items()}
    )


def _after_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if before is _NOTHING_AUDITED:
        return
    if created or before is None:
        _record(instance, AuditAction.CREATE, changes_between(sender, None, snapshot(instance)))
        return
    changes = changes_between(sender, before, snapshot(instance, before.keys()))
    if changes:
        _record(instance, AuditAction.CHANGE, changes)


def _before_delete(sender, instance, **kwargs) -> None:
    # A staff account's memberships go before it does: note her clinics while they are there.
    if isinstance(instance, User):
        instance._audit_clinics = clinics_of(instance)


def _after_delete(sender, instance, **kwargs) -> None:
    changes = changes_between(sender, snapshot(instance), None)
    if isinstance(instance, Clinic):
        # Only a clinic no event points to can go (PROTECT): its deletion points to none.
        instance._audit_clinics = ()
    _record(instance, AuditAction.DELETE, changes)


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


def record_export(request, *, what: str, details: dict) -> AuditEvent:
    """Log that the signed-in staff member downloaded an export of the clinic's records
    (``what`` names it, e.g. "outcomes-export"; ``details``: its rows and filters)."""
    return AuditEvent.objects.create(
        clinic_id=request.clinic.pk,
        actor=request.user,
        actor_label=request.user.get_username(),
        action=AuditAction.VIEW,
        object_type=what,
        object_id="export",
        changes=details,
        ip_address=client_ip(request),
    )


def connect() -> None:
    """Called once from SchedulingConfig.ready()."""
    for model in AUDITED:
        uid = f"audit-{object_type(model)}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post")
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-delete")
