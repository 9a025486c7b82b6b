"""The statistics of the outcomes report, from scipy (no hand-written formulas).

* ``rate``: k of n with the Wilson score 95 % interval (``scipy.stats.binomtest``).
* ``mean_difference``: the mean of paired differences (response minus baseline) with its
  95 % t interval (``scipy.stats.ttest_1samp``), n - 1 degrees of freedom.
* ``spread``: median and interquartile range (numpy's default linear percentiles, which
  ``scipy.stats.iqr`` also uses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

SMALL = 5  # a figure over fewer than this many is not shown ("—", or "fewer than 5" in public)
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Rate:
    """``numerator`` of ``denominator``; ``low``/``high``: the Wilson 95 % interval."""

    numerator: int
    denominator: int
    low: float | None = None
    high: float | None = None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class MeanDifference:
    n: int
    mean: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Spread:
    n: int
    median: float | None = None
    q1: float | None = None
    q3: float | None = None


def rate(numerator: int, denominator: int) -> Rate:
    if denominator <= 0:
        return Rate(numerator, 0)
    interval = stats.binomtest(numerator, denominator).proportion_ci(
        confidence_level=CONFIDENCE, method="wilson"
    )
    return Rate(numerator, denominator, float(interval.low), float(interval.high))


def mean_difference(differences: Sequence[float]) -> MeanDifference:
    n = len(differences)
    if n == 0:
        return MeanDifference(0)
    mean = float(np.mean(differences))
    if n == 1 or float(np.ptp(differences)) == 0.0:
        # one value, or all equal: no spread to estimate an interval from
        return MeanDifference(n, mean, mean if n > 1 else None, mean if n > 1 else None)
    interval = stats.ttest_1samp(differences, 0.0).confidence_interval(CONFIDENCE)
    return MeanDifference(n, mean, float(interval.low), float(interval.high))


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0)
    q1, median, q3 = (float(v) for v in np.percentile(values, [25, 50, 75]))
    return Spread(len(values), median, q1, q3)


def median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if values else None


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)
