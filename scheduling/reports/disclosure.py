"""How each figure is shown: to staff ("—" where its denominator is under 5) and in the public
report (every count under 5 is "fewer than 5"; a rate only where its numerator, denominator
and the remainder are all at least 5, so no count under 5 can be worked back from it; never a
rate without its denominator)."""

from __future__ import annotations

from dataclasses import dataclass

from scheduling.reports.cohort import Figures
from scheduling.reports.evidence import PUBLISHED
from scheduling.reports.figures import SMALL, MeanDifference, Rate, Spread

DASH = "—"
FEW = "fewer than 5"


@dataclass(frozen=True, slots=True)
class Shown:
    key: str
    label: str
    value: str
    interval: str = ""
    basis: str = ""  # the denominator, in words


def count(n: int, public: bool) -> str:
    return FEW if public and n < SMALL else f"{n:,}"


def percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def show_rate(key: str, label: str, r: Rate, per: str, public: bool) -> Shown:
    basis = f"{count(r.numerator, public)} of {count(r.denominator, public)} {per}"
    hidden = r.denominator < SMALL or (
        public and min(r.numerator, r.denominator - r.numerator) < SMALL
    )
    if hidden or r.value is None:
        return Shown(key, label, DASH if not public else "not shown", "", basis)
    interval = f"95 % CI {percent(r.low)} to {percent(r.high)} (Wilson)"
    return Shown(key, label, percent(r.value), interval, basis)


def show_mean(key: str, label: str, m: MeanDifference, per: str, public: bool) -> Shown:
    basis = f"{count(m.n, public)} {per}"
    if m.n < SMALL or m.mean is None:
        return Shown(key, label, DASH if not public else "not shown", "", basis)
    interval = "" if m.low is None else f"95 % CI {m.low:+.2f} to {m.high:+.2f} mm (t)"
    return Shown(key, label, f"{m.mean:+.2f} mm", interval, basis)


def show_spread(key: str, label: str, s: Spread, per: str, public: bool) -> Shown:
    basis = f"{count(s.n, public)} {per}"
    if s.n < SMALL or s.median is None:
        return Shown(key, label, DASH if not public else "not shown", "", basis)
    return Shown(key, label, f"{s.median:.0f} days", f"IQR {s.q1:.0f} to {s.q3:.0f} days", basis)


def show_count(key: str, label: str, n: int, public: bool, basis: str = "") -> Shown:
    return Shown(key, label, count(n, public), "", basis)


def sections(f: Figures, *, public: bool) -> list[tuple[str, list[Shown]]]:
    """The report's figures, in sections, as text."""
    shown = _sections(f, public)
    if not public:
        return shown
    hidden = secondary_suppression(f)
    return [
        (title, [_hide(row, hidden[row.key]) if row.key in hidden else row for row in rows])
        for title, rows in shown
    ]


def secondary_suppression(f: Figures) -> dict[str, int]:
    """Counts hidden in public so that no count under 5 can be worked out by subtraction
    from the others shown with it (key -> the count). Within each set of counts that add up
    to a published total, the hidden ones must together hold at least 5: if they do not,
    the next smallest is hidden too."""
    closed = f.closed_by
    groups = [
        {
            "still_open": f.still_open,
            "completed": closed.get("completed", 0),
            "cancelled": closed.get("cancelled", 0),
            "withdrawn": closed.get("withdrawn", 0),
            "lost_to_follow_up": closed.get("lost-to-follow-up", 0),
        },
        {
            "responders": f.responders,
            "non_responders": f.non_responders,
            "no_response_yet": f.no_response_yet,
        },
        # patients minus patients treated is never shown: treat it as a hidden count
        {"patients_treated": f.patients_treated, "-untreated": f.patients - f.patients_treated},
    ]
    hidden: dict[str, int] = {}
    for group in groups:
        out = {key for key, n in group.items() if n < SMALL or key.startswith("-")}
        if not any(0 < group[key] < SMALL for key in out):
            continue
        rest = sorted((n, key) for key, n in group.items() if key not in out)
        while sum(group[key] for key in out) < SMALL and rest:
            out.add(rest.pop(0)[1])
        hidden |= {key: group[key] for key in out if not key.startswith("-")}
    if "still_open" in hidden:
        hidden["closed"] = f.closed  # the courses started minus it
    return hidden


def _hide(row: Shown, n: int) -> Shown:
    return Shown(row.key, row.label, FEW if n < SMALL else "not shown", "", row.basis)


def _sections(f: Figures, public: bool) -> list[tuple[str, list[Shown]]]:
    started = f"courses started ({count(f.courses_started, public)})"
    threshold = f"{f.threshold_mm:g} mm"
    c = public
    return [
        (
            "Courses",
            [
                show_count(
                    "courses_started", "Courses started in the period", f.courses_started, c
                ),
                show_count("patients", "Patients with a course started", f.patients, c),
                show_count(
                    "patients_treated",
                    "Patients treated (an infusion given)",
                    f.patients_treated,
                    c,
                ),
                show_count("infusions_given", "Infusions given", f.infusions_given, c),
                show_count("still_open", "Courses still open", f.still_open, c, started),
                show_count("closed", "Courses closed", f.closed, c, started),
                show_count("completed", "… completed", f.closed_by.get("completed", 0), c),
                show_count(
                    "cancelled", "… cancelled by the clinic", f.closed_by.get("cancelled", 0), c
                ),
                show_count(
                    "withdrawn", "… withdrawn by the patient", f.closed_by.get("withdrawn", 0), c
                ),
                show_count("lost_to_follow_up", "… lost to follow-up", f.lost_to_follow_up, c),
            ],
        ),
        (
            "Endometrial thickness",
            [
                show_mean(
                    "thickness_change",
                    "Response ultrasound minus baseline (mean)",
                    f.thickness_change,
                    "courses with a baseline and a response result",
                    c,
                ),
                show_rate(
                    "reached_threshold",
                    f"Reached {threshold} (per course started)",
                    f.reached_threshold,
                    "courses started",
                    c,
                ),
                show_rate(
                    "reached_threshold_measured",
                    f"Reached {threshold} (per course with a response result)",
                    f.reached_threshold_measured,
                    "courses with a response result",
                    c,
                ),
                show_count(
                    "responders", "Responders (the course's threshold)", f.responders, c, started
                ),
                show_count(
                    "non_responders",
                    "Non-responders (below it at the last response ultrasound)",
                    f.non_responders,
                    c,
                    started,
                ),
                show_count(
                    "no_response_yet", "No response result (yet)", f.no_response_yet, c, started
                ),
            ],
        ),
        (
            "Transfers and pregnancies",
            [
                show_count("transfers", "Embryo transfers", f.transfers, c),
                show_count(
                    "courses_with_transfer",
                    "Courses with a transfer",
                    f.courses_with_transfer,
                    c,
                    started,
                ),
                show_rate(
                    "clinical_pregnancy_per_transfer",
                    "Clinical pregnancy per transfer",
                    f.clinical_pregnancy_per_transfer,
                    "transfers",
                    c,
                ),
                show_rate(
                    "clinical_pregnancy_per_patient",
                    "Clinical pregnancy per patient",
                    f.clinical_pregnancy_per_patient,
                    "patients with a course started",
                    c,
                ),
                show_rate(
                    "miscarriage",
                    "Miscarriage per clinical pregnancy",
                    f.miscarriage,
                    "clinical pregnancies",
                    c,
                ),
                show_count("ectopic", "Ectopic pregnancies", f.ectopic, c),
                show_rate(
                    "live_birth_per_transfer",
                    "Live birth per transfer",
                    f.live_birth_per_transfer,
                    "transfers",
                    c,
                ),
                show_rate(
                    "live_birth_per_patient",
                    "Live birth per patient (cumulative)",
                    f.live_birth_per_patient,
                    "patients with a course started",
                    c,
                ),
                show_spread(
                    "time_to_transfer",
                    "First infusion to first transfer (median)",
                    f.time_to_transfer,
                    "courses with a transfer",
                    c,
                ),
            ],
        ),
    ]


def by_source(f: Figures, labels: dict[str, str], *, public: bool) -> list[Shown]:
    return [
        show_rate(source, labels.get(source, source), r, "courses started", public)
        for source, r in f.by_source.items()
    ]


def evidence_rows(f: Figures, *, public: bool) -> list[tuple[object, Shown | None]]:
    """Each published figure beside the clinic's figure it relates to."""
    shown = {row.key: row for _title, rows in sections(f, public=public) for row in rows}
    return [(item, shown.get(item.compare_with)) for item in PUBLISHED]
