from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from scheduling import models


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0


class ClosedDateInline(admin.TabularInline):
    model = models.ClosedDate
    extra = 0


@admin.register(models.User)
class StaffUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(models.Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "open_weekdays"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ClosedDateInline]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "clinic", "role"]
    list_filter = ["clinic", "role"]


@admin.register(models.Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "is_active"]
    list_filter = ["clinic"]


class PeriodStartInline(admin.TabularInline):
    model = models.PeriodStart
    extra = 0


@admin.register(models.Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["mrn", "last_name", "first_name", "clinic"]
    list_filter = ["clinic"]
    search_fields = ["mrn", "last_name", "first_name", "email"]
    inlines = [PeriodStartInline]


@admin.register(models.Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["patient", "source", "route", "status", "not_before"]
    list_filter = ["clinic", "status", "source"]
    raw_id_fields = ["patient"]


@admin.register(models.CellBatch)
class CellBatchAdmin(admin.ModelAdmin):
    list_display = ["lot_number", "source", "status", "expected_ready_by", "doses", "doses_used"]
    list_filter = ["clinic", "status", "source"]
    raw_id_fields = ["course"]


@admin.register(models.Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "kind", "status", "patient", "room", "clinician"]
    list_filter = ["clinic", "kind", "status"]
    raw_id_fields = ["patient", "course"]
    date_hierarchy = "starts_at"


@admin.register(models.ThicknessMeasurement)
class ThicknessMeasurementAdmin(admin.ModelAdmin):
    list_display = ["course", "measured_on", "thickness_mm"]
    raw_id_fields = ["course", "appointment"]


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["appointment", "kind", "due_at", "status", "attempts"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["appointment", "patient"]


@admin.register(models.RescheduleRequest)
class RescheduleRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "patient", "appointment", "resolved_at"]
    list_filter = ["clinic"]
    raw_id_fields = ["patient", "appointment", "resolved_by"]


@admin.register(models.EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["patient", "reminder"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is never edited, not even by a superuser."""

    list_display = ["at", "clinic", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["clinic", "action", "object_type"]
    search_fields = ["actor_label", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
