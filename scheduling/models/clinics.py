"""Clinics, their staff, rooms and protocol parameters."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Europe/London.") from None


def validate_weekdays(value: str) -> None:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in WEEKDAY_NAMES]
    if unknown:
        raise ValidationError(f"Unknown weekday {unknown[0]!r}; use mon, tue, … sun.")
    if not names:
        raise ValidationError("A clinic must be open on at least one weekday.")


def validate_month_list(value: str) -> None:
    try:
        months = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValidationError("Follow-up months must be whole numbers, e.g. 3,6,12.") from None
    if not months or any(not 1 <= month <= 36 for month in months):
        raise ValidationError("Follow-up months must be between 1 and 36, e.g. 3,6,12.")
    if len(set(months)) != len(months):
        raise ValidationError("Each follow-up month may appear only once, e.g. 3,6,12.")


def default_time_zone() -> str:
    return settings.CLINIC_DEFAULT_TIME_ZONE


class Clinic(models.Model):
    """One clinic; every patient record belongs to exactly one of these."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    open_weekdays = models.CharField(
        max_length=40,
        default="mon,tue,wed,thu,fri",
        validators=[validate_weekdays],
        help_text="Comma-separated: mon,tue,wed,thu,fri,sat,sun",
    )
    opens_at = models.TimeField(default=dt.time(8, 0))
    closes_at = models.TimeField(default=dt.time(18, 0))
    # Staff of this clinic must set up and use a TOTP authenticator (scheduling.security).
    require_two_factor = models.BooleanField(
        default=False, help_text="Every staff member must sign in with an authenticator app."
    )

    # Protocol parameters (DESIGN.md §2); a course may override each.
    preferred_infusion_day = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(6), MaxValueValidator(16)]
    )
    expansion_min_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    expansion_max_days = models.PositiveSmallIntegerField(
        default=21, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    thickness_threshold_mm = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=Decimal("7.0"),
        validators=[MinValueValidator(Decimal("3.0")), MaxValueValidator(Decimal("12.0"))],
    )
    max_infusions = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    transfer_wait_cycles = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    follow_up_months = models.CharField(
        max_length=40, default="3,6,12", validators=[validate_month_list]
    )
    uc_thaw_lead_days = models.PositiveSmallIntegerField(
        "UC thaw and preparation lead time (days)",
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(14)],
        help_text="Days between allocating a donor-lot dose and the earliest infusion.",
    )
    follow_ups_in_pregnancy = models.CharField(
        max_length=10,
        choices=[("hold", "Held until the pregnancy ends"), ("drop", "Dropped")],
        default="hold",
        help_text="What a positive pregnancy test does to the remaining follow-ups.",
    )

    # Public disclosure (outcomes report): where cells are processed, and whether the report is
    # published at /disclosure/<slug>/.
    lab_name = models.CharField("processing laboratory", max_length=200, blank=True)
    lab_cgmp_status = models.CharField(
        "laboratory cGMP status",
        max_length=20,
        choices=[
            ("certified", "cGMP-certified facility"),
            ("compliant", "Operates to cGMP, not certified"),
            ("research", "Research-grade laboratory"),
            ("not-stated", "Not stated"),
        ],
        default="not-stated",
    )
    disclosure_public = models.BooleanField(
        "publish the outcomes report",
        default=False,
        help_text="Makes the de-identified outcomes report readable by anyone at its public URL.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expansion_min_days__lte=models.F("expansion_max_days")),
                name="clinic_expansion_min_lte_max",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")),
                name="clinic_opens_before_closing",
            ),
            models.CheckConstraint(
                condition=models.Q(max_infusions__gte=1, max_infusions__lte=3),
                name="clinic_max_infusions_1_to_3",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def open_weekday_numbers(self) -> frozenset[int]:
        return frozenset(
            WEEKDAY_NAMES.index(name.strip())
            for name in self.open_weekdays.split(",")
            if name.strip() in WEEKDAY_NAMES
        )

    @property
    def follow_up_month_numbers(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.follow_up_months.split(",") if part.strip())


class ClosedDate(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closed_dates")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="closed_date_once_per_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.date} ({self.reason or 'closed'})"


class User(AbstractUser):
    """A staff member. Patients never have a User: they act through signed links."""

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    PHYSICIAN = "physician", "Physician"
    LAB = "lab", "Lab staff"
    ADMIN = "admin", "Clinic admin"


class Membership(models.Model):
    """A staff user's role in one clinic."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_once_per_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"


class Room(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    # The kinds of visit held here (AppointmentKind values: a scan room takes ultrasounds, a
    # procedure room infusions); empty: every kind. Free times offer only rooms that serve
    # the visit, and booking refuses any other.
    visit_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique_in_clinic")
        ]

    def __str__(self) -> str:
        return self.name

    def serves(self, kind: str) -> bool:
        return not self.visit_kinds or kind in self.visit_kinds
