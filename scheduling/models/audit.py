"""The audit trail: who created, changed, deleted or viewed which patient record, and when.

Rows are written once and never changed: `save()` refuses an update and `delete()` refuses
outright, and the default manager's querysets refuse `update()` and `delete()`. Nothing in
the application offers a path to edit them (HIPAA §164.312(b), ASVS V16). On PostgreSQL a
trigger refuses UPDATE and DELETE to every client, raw SQL included
(migrations/0005_audit_append_only.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from scheduling.models.clinics import Clinic


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    VIEW = "view", "Viewed"


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    # Kept when the user is deleted: actor_label still says who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    # The patient the record belongs to, so a patient's history includes her courses and visits;
    # a plain number, not a key, so that the trail outlives the record.
    patient_id = models.PositiveBigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Read by the audit log page and its CSV export: a clinic's newest events.
            models.Index(fields=["clinic", "-at"], name="audit_clinic_at"),
            # Read by history_for(obj).
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["patient_id", "-at"], name="audit_patient_at"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type} #{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")
