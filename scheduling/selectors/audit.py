"""Reads of the audit trail: one record's history, and a clinic's log."""

import datetime as dt

from django.db.models import Model, Q, QuerySet

from scheduling.models import AuditEvent, Clinic, Patient


def history_for(obj: Model, *, include_related: bool = True) -> QuerySet[AuditEvent]:
    """Newest first: every event on `obj`; for a patient also on her courses, visits, batches."""
    events = AuditEvent.objects.select_related("actor")
    own = Q(object_type=obj._meta.model_name, object_id=str(obj.pk))
    if include_related and isinstance(obj, Patient):
        own |= Q(patient_id=obj.pk)
    return events.filter(own)


def clinic_log(
    *,
    clinic: Clinic,
    action: str = "",
    object_type: str = "",
    actor: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    patient_id: int | None = None,
) -> QuerySet[AuditEvent]:
    """A clinic's events, newest first, narrowed by whatever filters are given."""
    events = AuditEvent.objects.filter(clinic=clinic).select_related("actor")
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    if patient_id:
        events = events.filter(patient_id=patient_id)
    return events
