"""Patients and what they report about their cycle."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from scheduling.models.clinics import Clinic, validate_time_zone


class Diagnosis(models.TextChoices):
    THIN_ENDOMETRIUM = "thin-endometrium", "Thin endometrium"
    ASHERMAN = "asherman", "Asherman's syndrome"


class AshermanSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40, help_text="Medical record number")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    stated_cycle_length = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(15), MaxValueValidator(90)],
        help_text="Typical cycle length the patient states; used until two periods are known.",
    )
    luteal_length = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(10), MaxValueValidator(16)]
    )
    diagnosis = models.CharField(max_length=30, choices=Diagnosis.choices)
    asherman_severity = models.CharField(
        "Asherman's severity",
        max_length=10,
        choices=AshermanSeverity.choices,
        blank=True,
        help_text="When recorded (e.g. AFS/ESGE grade): mild, moderate or severe.",
    )
    baseline_thickness_mm = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
    )
    prior_treatments = models.TextField(blank=True)
    consent_version = models.CharField(max_length=40, blank=True)
    consent_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic"),
            models.CheckConstraint(
                condition=models.Q(stated_cycle_length__gte=15, stated_cycle_length__lte=90),
                name="patient_cycle_length_15_to_90",
            ),
            models.CheckConstraint(
                condition=models.Q(luteal_length__gte=10, luteal_length__lte=16),
                name="patient_luteal_length_10_to_16",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ReportedBy(models.TextChoices):
    PATIENT = "patient", "Patient (link)"
    STAFF = "staff", "Staff (phone or visit)"


class PeriodStartStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    # Reported through a link too close to another CD1: a person checks it before it counts.
    TO_CHECK = "to-check", "To check"


class PeriodStart(models.Model):
    """A reported cycle day 1: the first day of menstrual bleeding."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="period_starts")
    date = models.DateField()
    reported_by = models.CharField(max_length=10, choices=ReportedBy.choices)
    reported_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=PeriodStartStatus.choices, default=PeriodStartStatus.APPLIED
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "date"], name="period_start_once_per_day")
        ]

    def __str__(self) -> str:
        return f"CD1 {self.date}"
