"""What happened after the therapy (DESIGN.md §2 point 9): embryo transfer, pregnancy test,
clinical pregnancy, miscarriage, ectopic pregnancy, live birth, lost to follow-up.

One row per fact, of one ``kind``; the fields a kind needs are required by the database
(check constraints, each with an explicit NOT NULL: SQL lets a NULL pass a comparison), the
others stay empty. A live birth names the positive pregnancy test it
follows (``pregnancy_test``, required for a live birth and protected from deletion); that the
test is positive, of the same course and not later is checked by ``services.outcomes``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from scheduling.models.courses import Course
from scheduling.timeline.dates import spoken


class OutcomeKind(models.TextChoices):
    TRANSFER = "transfer", "Embryo transfer"
    PREGNANCY_TEST = "pregnancy-test", "Pregnancy test (β-hCG)"
    CLINICAL_PREGNANCY = "clinical-pregnancy", "Clinical pregnancy"
    MISCARRIAGE = "miscarriage", "Miscarriage"
    ECTOPIC = "ectopic", "Ectopic pregnancy"
    LIVE_BIRTH = "live-birth", "Live birth"
    LOST_TO_FOLLOW_UP = "lost-to-follow-up", "Lost to follow-up"


# Recorded by physicians; the transfer and lost to follow-up by coordinators.
CLINICAL_KINDS = (
    OutcomeKind.PREGNANCY_TEST,
    OutcomeKind.CLINICAL_PREGNANCY,
    OutcomeKind.MISCARRIAGE,
    OutcomeKind.ECTOPIC,
    OutcomeKind.LIVE_BIRTH,
)


class EmbryoStage(models.TextChoices):
    CLEAVAGE = "cleavage", "Cleavage (day 2-3)"
    BLASTOCYST = "blastocyst", "Blastocyst (day 5-6)"


class TransferType(models.TextChoices):
    FRESH = "fresh", "Fresh"
    FROZEN = "frozen", "Frozen-thawed"


def _kind(kind: str, condition: Q) -> Q:
    """``condition`` must hold on rows of ``kind``."""
    return ~Q(kind=kind) | condition


class CourseOutcome(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="outcomes")
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    occurred_on = models.DateField()
    # transfer
    embryos = models.PositiveSmallIntegerField(null=True, blank=True)
    embryo_stage = models.CharField(max_length=12, choices=EmbryoStage.choices, blank=True)
    transfer_type = models.CharField(max_length=8, choices=TransferType.choices, blank=True)
    # pregnancy test
    beta_hcg = models.DecimalField(
        "β-hCG (IU/L)", max_digits=8, decimal_places=1, null=True, blank=True
    )
    positive = models.BooleanField(null=True, blank=True)
    # clinical pregnancy
    heartbeat = models.BooleanField("fetal heartbeat", null=True, blank=True)
    sacs = models.PositiveSmallIntegerField("gestational sacs", null=True, blank=True)
    # miscarriage, live birth: gestational weeks; live birth: babies born alive
    weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    babies = models.PositiveSmallIntegerField(null=True, blank=True)
    pregnancy_test = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_kind(
                    OutcomeKind.TRANSFER,
                    Q(embryos__isnull=False, embryos__gte=1, embryos__lte=5)
                    & Q(embryo_stage__in=EmbryoStage.values)
                    & Q(transfer_type__in=TransferType.values),
                ),
                name="outcome_transfer_complete",
            ),
            models.CheckConstraint(
                condition=_kind(
                    OutcomeKind.PREGNANCY_TEST,
                    Q(beta_hcg__isnull=False, beta_hcg__gte=0, positive__isnull=False),
                ),
                name="outcome_test_complete",
            ),
            models.CheckConstraint(
                condition=_kind(
                    OutcomeKind.CLINICAL_PREGNANCY,
                    Q(heartbeat__isnull=False, sacs__isnull=False, sacs__gte=1, sacs__lte=5),
                ),
                name="outcome_clinical_pregnancy_complete",
            ),
            models.CheckConstraint(
                condition=_kind(
                    OutcomeKind.MISCARRIAGE, Q(weeks__isnull=False, weeks__gte=1, weeks__lte=27)
                ),
                name="outcome_miscarriage_weeks",
            ),
            models.CheckConstraint(
                condition=_kind(
                    OutcomeKind.LIVE_BIRTH,
                    Q(weeks__isnull=False, weeks__gte=20, weeks__lte=45)
                    & Q(babies__isnull=False, babies__gte=1, babies__lte=5)
                    & Q(pregnancy_test__isnull=False),
                ),
                name="outcome_live_birth_after_positive_test",
            ),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(kind=OutcomeKind.LIVE_BIRTH),
                name="outcome_one_live_birth_per_course",
            ),
            models.UniqueConstraint(
                fields=["course", "kind", "occurred_on"],
                name="outcome_one_per_kind_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {spoken(self.occurred_on)}"
