from django.urls import path

from scheduling.views import health, patients, today

urlpatterns = [
    path("", today.today, name="today"),
    path("healthz", health.healthz, name="healthz"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient-detail"),
]
