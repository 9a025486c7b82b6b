"""The database refuses incomplete outcome records, whatever path writes them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from scheduling.models import CourseOutcome, OutcomeKind

D = dt.date(2026, 2, 23)


def refused(**values) -> bool:
    try:
        with transaction.atomic():
            CourseOutcome.objects.create(**values)
    except IntegrityError:
        return True
    return False


def test_a_live_birth_without_its_positive_test_is_refused(course):
    assert refused(course=course, kind=OutcomeKind.LIVE_BIRTH, occurred_on=D, weeks=39, babies=1)


def test_a_live_birth_naming_its_test_is_kept_once(course):
    test = CourseOutcome.objects.create(
        course=course, kind=OutcomeKind.PREGNANCY_TEST, occurred_on=D, beta_hcg=Decimal(150),
        positive=True,
    )  # fmt: skip
    birth = {"course": course, "kind": OutcomeKind.LIVE_BIRTH, "weeks": 39, "babies": 1}
    assert not refused(occurred_on=D, pregnancy_test=test, **birth)
    assert refused(occurred_on=dt.date(2026, 2, 24), pregnancy_test=test, **birth)  # one birth
    with pytest.raises(IntegrityError), transaction.atomic():
        test.delete()  # the test a birth follows stays


@pytest.mark.parametrize(
    "values",
    [
        {"kind": OutcomeKind.TRANSFER, "embryos": 1, "embryo_stage": "blastocyst"},
        {"kind": OutcomeKind.TRANSFER, "embryos": 0, "embryo_stage": "cleavage",
         "transfer_type": "fresh"},
        {"kind": OutcomeKind.PREGNANCY_TEST, "beta_hcg": Decimal(5)},
        {"kind": OutcomeKind.CLINICAL_PREGNANCY, "heartbeat": True},
        {"kind": OutcomeKind.MISCARRIAGE},
    ],
)  # fmt: skip
def test_a_kind_without_what_it_needs_is_refused(course, values):
    assert refused(course=course, occurred_on=D, **values)


def test_the_same_fact_twice_on_one_day_is_refused(course):
    values = {"course": course, "kind": OutcomeKind.ECTOPIC, "occurred_on": D}
    assert not refused(**values)
    assert refused(**values)
