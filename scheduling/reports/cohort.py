"""One course as the outcomes report reads it, and the figures of a cohort of courses.

Denominators cannot flatter: every course started in the period counts (intention to treat,
as national registries report per cycle started), whatever became of it; per-transfer figures
stand beside them, and lost-to-follow-up and still-open courses are counted, never dropped.

* A **responder** is a course whose decided response (the engine's response result after its
  last infusion) reached the course's threshold; a non-responder's was below it; a course
  without one has no response result yet (or never had an infusion).
* **Reached the threshold**: the decided response at or above the clinic's threshold, per
  course started and per course with a response result.
* **Thickness change**: decided response minus baseline (the patient's recorded baseline, else
  her last result before the first infusion), per course with both.
* A clinical pregnancy or live birth belongs to the transfer it follows (the last transfer on
  or before it); **per transfer**: transfers followed by one / transfers; **per patient**:
  patients with one / patients with a course started (cumulative over the period).
* **Miscarriage**: clinical pregnancies followed by a miscarriage before the next transfer /
  clinical pregnancies.
* **Time to transfer**: days from the first infusion to the first transfer.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from scheduling.reports.figures import (
    SMALL,
    MeanDifference,
    Rate,
    Spread,
    mean_difference,
    median,
    rate,
    spread,
)

TRANSFER = "transfer"
TEST = "pregnancy-test"
CLINICAL_PREGNANCY = "clinical-pregnancy"
MISCARRIAGE = "miscarriage"
ECTOPIC = "ectopic"
LIVE_BIRTH = "live-birth"
CLOSED = ("completed", "cancelled", "withdrawn", "lost-to-follow-up")
CURVE_BIN_DAYS = 14  # the median curve: each course's last value per fortnight


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    on: date
    positive: bool | None = None


@dataclass(slots=True)
class CourseRecord:
    key: int
    patient: int
    source: str
    route: str
    diagnosis: str
    severity: str
    status: str
    threshold_mm: float  # the course's own (override, else the clinic's)
    baseline_mm: float | None
    response_mm: float | None  # the engine's decided response
    infusions: tuple[date, ...] = ()
    results: tuple[tuple[date, float], ...] = ()  # every thickness result, in date order
    events: tuple[Event, ...] = ()
    age_band: str = ""  # five-year band at the course's start ("35-39"), for the export

    @property
    def first_infusion(self) -> date | None:
        return min(self.infusions) if self.infusions else None

    @property
    def baseline(self) -> float | None:
        if self.baseline_mm is not None:
            return self.baseline_mm
        first = self.first_infusion
        before = [mm for on, mm in self.results if first is not None and on < first]
        return before[-1] if before else None

    def series(self) -> list[tuple[int, float]]:
        """Thickness results as (days after the first infusion, mm)."""
        first = self.first_infusion
        if first is None:
            return []
        return [((on - first).days, mm) for on, mm in self.results]

    def transfers(self) -> list[date]:
        return sorted(e.on for e in self.events if e.kind == TRANSFER)

    def by_transfer(self, kind: str) -> set[int]:
        """Indexes of the transfers followed by an event of ``kind``."""
        transfers = self.transfers()
        return {
            bisect.bisect_right(transfers, e.on) - 1
            for e in self.events
            if e.kind == kind and transfers and e.on >= transfers[0]
        }

    def has(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.events)


@dataclass
class Figures:
    courses_started: int = 0
    patients: int = 0
    patients_treated: int = 0
    infusions_given: int = 0
    still_open: int = 0
    closed: int = 0
    closed_by: dict[str, int] = field(default_factory=dict)  # completed, cancelled, withdrawn, lost
    lost_to_follow_up: int = 0
    threshold_mm: float = 7.0
    thickness_change: MeanDifference = field(default_factory=lambda: MeanDifference(0))
    with_response: int = 0
    reached_threshold: Rate = field(default_factory=lambda: Rate(0, 0))  # per course started
    reached_threshold_measured: Rate = field(default_factory=lambda: Rate(0, 0))
    responders: int = 0
    non_responders: int = 0
    no_response_yet: int = 0
    transfers: int = 0
    courses_with_transfer: int = 0
    clinical_pregnancy_per_transfer: Rate = field(default_factory=lambda: Rate(0, 0))
    clinical_pregnancy_per_patient: Rate = field(default_factory=lambda: Rate(0, 0))
    miscarriage: Rate = field(default_factory=lambda: Rate(0, 0))  # per clinical pregnancy
    ectopic: int = 0
    live_birth_per_transfer: Rate = field(default_factory=lambda: Rate(0, 0))
    live_birth_per_patient: Rate = field(default_factory=lambda: Rate(0, 0))
    time_to_transfer: Spread = field(default_factory=lambda: Spread(0))
    by_source: dict[str, Rate] = field(default_factory=dict)  # reached threshold, per started


def summarise(records: Sequence[CourseRecord], threshold_mm: float) -> Figures:
    """Every figure of the report for these courses (the courses started in the period)."""
    f = Figures(threshold_mm=threshold_mm)
    f.courses_started = len(records)
    f.patients = len({r.patient for r in records})
    f.patients_treated = len({r.patient for r in records if r.infusions})
    f.infusions_given = sum(len(r.infusions) for r in records)
    closed_by: dict[str, int] = dict.fromkeys(CLOSED, 0)
    for r in records:
        if r.status in closed_by:
            closed_by[r.status] += 1
    f.closed_by = closed_by
    f.closed = sum(closed_by.values())
    f.still_open = f.courses_started - f.closed
    f.lost_to_follow_up = closed_by["lost-to-follow-up"]

    differences = [
        r.response_mm - r.baseline
        for r in records
        if r.response_mm is not None and r.baseline is not None
    ]
    f.thickness_change = mean_difference(differences)
    measured = [r for r in records if r.response_mm is not None]
    f.with_response = len(measured)
    reached = sum(r.response_mm >= threshold_mm for r in measured)
    f.reached_threshold = rate(reached, f.courses_started)
    f.reached_threshold_measured = rate(reached, len(measured))
    f.responders = sum(r.response_mm >= r.threshold_mm for r in measured)
    f.non_responders = len(measured) - f.responders
    f.no_response_yet = f.courses_started - len(measured)

    transfers = cp_transfers = lb_transfers = 0
    cp_patients: set[int] = set()
    lb_patients: set[int] = set()
    pregnancies = miscarried = 0
    waits = []
    for r in records:
        course_transfers = r.transfers()
        transfers += len(course_transfers)
        f.courses_with_transfer += bool(course_transfers)
        cp_transfers += len(r.by_transfer(CLINICAL_PREGNANCY))
        lb_transfers += len(r.by_transfer(LIVE_BIRTH))
        if r.has(CLINICAL_PREGNANCY):
            cp_patients.add(r.patient)
        if r.has(LIVE_BIRTH):
            lb_patients.add(r.patient)
        pregnant = r.by_transfer(CLINICAL_PREGNANCY)
        pregnancies += len(pregnant)
        miscarried += len(pregnant & r.by_transfer(MISCARRIAGE))
        f.ectopic += sum(e.kind == ECTOPIC for e in r.events)
        if course_transfers and r.first_infusion is not None:
            waits.append((course_transfers[0] - r.first_infusion).days)
    f.transfers = transfers
    f.clinical_pregnancy_per_transfer = rate(cp_transfers, transfers)
    f.live_birth_per_transfer = rate(lb_transfers, transfers)
    f.clinical_pregnancy_per_patient = rate(len(cp_patients), f.patients)
    f.live_birth_per_patient = rate(len(lb_patients), f.patients)
    f.miscarriage = rate(miscarried, pregnancies)
    f.time_to_transfer = spread(waits)

    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        counts = by_source[r.source]
        counts[1] += 1
        counts[0] += r.response_mm is not None and r.response_mm >= threshold_mm
    f.by_source = {source: rate(k, n) for source, (k, n) in sorted(by_source.items())}
    return f


def curves(records: Iterable[CourseRecord], limit: int = 300) -> dict:
    """Thickness curves aligned on the first infusion: one line per course (the latest
    ``limit`` courses drawn) and the median of every course's last value per fortnight, where
    at least ``SMALL`` courses have one."""
    lines, bins = [], defaultdict(dict)
    with_series = [(r, r.series()) for r in records]
    with_series = [(r, s) for r, s in with_series if s]
    for r, series in with_series:
        for day, mm in series:
            bins[_bin(day)][r.key] = mm
    with_series.sort(key=lambda pair: pair[0].first_infusion, reverse=True)
    for _r, series in with_series[:limit]:
        lines.append([[day, mm] for day, mm in series])
    middle = [
        [day, round(median(list(values.values())), 2)]
        for day, values in sorted(bins.items())
        if len(values) >= SMALL
    ]
    return {"lines": lines, "median": middle, "courses": len(with_series)}


def _bin(day: int) -> int:
    """The fortnight a day falls in, as its middle day (day 0 is the first infusion)."""
    return (day // CURVE_BIN_DAYS) * CURVE_BIN_DAYS + CURVE_BIN_DAYS // 2
