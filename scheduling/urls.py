from django.urls import path

from scheduling.views import (
    audit,
    batches,
    booking,
    calendar,
    clinic_admin,
    consent,
    courses,
    disclosure,
    feeds,
    health,
    lots,
    outcomes,
    outcomes_report,
    patient_links,
    patients,
    recording,
    reschedule,
    today,
)

urlpatterns = [
    path("", today.today, name="today"),
    path("healthz", health.healthz, name="healthz"),
    path("reschedule-requests/<int:pk>/resolve", reschedule.resolve, name="reschedule-resolve"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient-detail"),
    # Coordinator workspace (issue 4)
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/events.json", calendar.events_json, name="calendar-events"),
    path("appointments/<int:pk>/move", calendar.move, name="appointment-move"),
    path(
        "appointments/<int:pk>/allowed-days.json",
        calendar.allowed_days_json,
        name="appointment-allowed-days",
    ),
    path(
        "appointments/<int:pk>/free-times.json",
        calendar.free_times_json,
        name="appointment-free-times",
    ),
    path(
        "appointments/<int:pk>/allowed-days.json",
        calendar.allowed_days_json,
        name="appointment-allowed-days",
    ),
    path(
        "appointments/<int:pk>/free-times.json",
        calendar.free_times_json,
        name="appointment-free-times",
    ),
    path("appointments/<int:pk>/book", booking.book, name="appointment-book"),
    path("appointments/<int:pk>/confirm", booking.confirm, name="appointment-confirm"),
    path("appointments/<int:pk>/cancel", booking.cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/no-show", booking.no_show, name="appointment-no-show"),
    path("appointments/<int:pk>/restore", booking.restore, name="appointment-restore"),
    path(
        "appointments/<int:pk>/undo-no-show", booking.undo_no_show, name="appointment-undo-no-show"
    ),
    path("appointments/<int:pk>/done", recording.mark_done, name="appointment-done"),
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new", patients.patient_edit, name="patient-create"),
    path("patients/<int:pk>/edit", patients.patient_edit, name="patient-edit"),
    path("patients/<int:patient_pk>/period", recording.period_start, name="period-start"),
    path("periods/<int:pk>/correct", recording.period_start_correct, name="period-correct"),
    path("periods/<int:pk>/delete", recording.period_start_delete, name="period-delete"),
    path("periods/<int:pk>/apply", recording.period_start_apply, name="period-apply"),
    path("patients/<int:patient_pk>/courses/new", courses.course_edit, name="course-create"),
    # Donor lots of umbilical-cord cells and their doses (issue 12).
    path("lots/", lots.lot_list, name="lot-list"),
    path("lots/new", lots.lot_create, name="lot-create"),
    path("lots/<int:pk>/", lots.lot_detail, name="lot-detail"),
    path("courses/<int:course_pk>/dose", lots.dose_allocate, name="dose-allocate"),
    path(
        "patients/<int:patient_pk>/courses/preview", courses.course_preview, name="course-preview"
    ),
    path("courses/<int:pk>/edit", courses.course_edit, name="course-edit"),
    path("courses/<int:pk>/preview", courses.course_preview, name="course-edit-preview"),
    path("courses/<int:course_pk>/harvest", recording.harvest_done, name="harvest-done"),
    path("courses/<int:course_pk>/thickness", recording.thickness, name="thickness-record"),
    path("batches/", batches.batch_list, name="batch-list"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch-detail"),
    path("clinic/", clinic_admin.clinic_settings, name="clinic-settings"),
    path("clinic/rooms/<int:pk>/toggle", clinic_admin.room_toggle, name="room-toggle"),
    path(
        "clinic/closed/<int:pk>/delete", clinic_admin.closed_date_delete, name="closed-date-delete"
    ),
    path("clinic/staff/<int:pk>/role", clinic_admin.membership_role, name="membership-role"),
    path("clinic/feeds/", feeds.feed_list, name="feed-list"),
    path("clinic/feeds/<int:pk>/revoke", feeds.feed_revoke, name="feed-revoke"),
    path("feeds/<str:token>.ics", feeds.calendar_feed, name="calendar-feed"),
    # Signed patient links from emails (issue 5): no login, one purpose per link.
    path("p/confirm/<str:token>/", patient_links.confirm, name="patient-link-confirm"),
    path("p/reschedule/<str:token>/", patient_links.reschedule, name="patient-link-reschedule"),
    path("p/calendar/<str:token>/", patient_links.calendar, name="patient-link-calendar"),
    path("p/period/<str:token>/", patient_links.period, name="patient-link-period"),
    # A course's whole life (issue 12): transfer, outcomes, closing and reopening.
    path("courses/<int:course_pk>/transfer", outcomes.transfer, name="course-transfer"),
    path("courses/<int:course_pk>/outcome", outcomes.outcome, name="course-outcome"),
    path("courses/<int:course_pk>/close", outcomes.close, name="course-close"),
    path("courses/<int:course_pk>/reopen", outcomes.reopen, name="course-reopen"),
    path("courses/<int:course_pk>/consent", consent.consent_record, name="consent-record"),
    path(
        "courses/<int:course_pk>/consent/withdraw",
        consent.consent_withdraw,
        name="consent-withdraw",
    ),
    path("consents/<int:pk>/document", consent.consent_document, name="consent-document"),
    # Outcomes and transparency (issue 15): the report, its export, the public disclosure.
    path("outcomes/", outcomes_report.outcomes_page, name="outcomes-report"),
    path("outcomes/export.csv", outcomes_report.outcomes_export, name="outcomes-export"),
    path("disclosure/<slug:slug>/", disclosure.disclosure_page, name="disclosure"),
    path("disclosure/<slug:slug>/report.pdf", disclosure.disclosure_pdf, name="disclosure-pdf"),
]
