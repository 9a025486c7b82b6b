"""Every figure of the outcomes report on a small fixed cohort, against values worked out by
hand (the working is written beside each assertion). Pure: no database."""

import datetime as dt
import math

import pytest

from scheduling.reports import disclosure
from scheduling.reports.cohort import CourseRecord, Event, curves, summarise

D0 = dt.date(2025, 3, 10)  # every course's first infusion, for simplicity


def day(offset: int) -> dt.date:
    return D0 + dt.timedelta(days=offset)


def transfer(offset):
    return Event("transfer", day(offset))


def hcg(offset, positive):
    return Event("pregnancy-test", day(offset), positive)


def ev(kind, offset):
    return Event(kind, day(offset))


def record(key, patient, source, status, baseline, response, infusions, results=(), events=(),
           threshold=7.0) -> CourseRecord:  # fmt: skip
    return CourseRecord(
        key=key,
        patient=patient,
        source=source,
        route="intrauterine",
        diagnosis="thin-endometrium",
        severity="",
        status=status,
        threshold_mm=threshold,
        baseline_mm=baseline,
        response_mm=response,
        infusions=tuple(day(28 * n) for n in range(infusions)),
        results=tuple((day(offset), mm) for offset, mm in results),
        events=tuple(events),
    )


# R1-R7: seven courses of six patients (patient 1 has two courses).
COHORT = [
    record(1, 1, "bone-marrow", "completed", 5.0, 8.0, 1, [(28, 8.0)],
           [transfer(100), hcg(112, True), ev("clinical-pregnancy", 135), ev("live-birth", 352)]),
    record(2, 2, "bone-marrow", "transferred", 4.0, 7.0, 2, [(29, 6.2), (56, 7.0)],
           [transfer(120), hcg(132, False), transfer(180), hcg(192, True),
            ev("clinical-pregnancy", 203), ev("miscarriage", 224)]),
    record(3, 3, "adipose", "non-responder", 6.0, 6.5, 3, [(30, 6.0), (57, 6.3), (85, 6.5)]),
    record(4, 4, "adipose", "lost-to-follow-up", 5.5, 9.0, 1, [(31, 9.0)],
           [ev("lost-to-follow-up", 60)]),
    # no recorded baseline: her last result before the first infusion (4.5 mm) is the baseline
    record(5, 5, "menstrual-blood", "transferred", None, 7.5, 1, [(-5, 4.5), (35, 7.5)],
           [transfer(90), hcg(102, True), ev("ectopic", 118)]),
    record(6, 6, "umbilical-cord", "cancelled", 5.0, None, 0),
    # her own threshold is 5 mm: a responder by it, but below the clinic's 7 mm
    record(7, 1, "bone-marrow", "completed", 5.0, 5.0, 1, [(33, 5.0)],
           [transfer(95), hcg(107, True), ev("clinical-pregnancy", 130), ev("live-birth", 347)],
           threshold=5.0),
]  # fmt: skip

Z = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
T5 = 2.570581835636314  # the 97.5th percentile of Student's t with 5 degrees of freedom


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval, by hand: (k + z²/2)/(n + z²) ± z/(n + z²)·√(k(n-k)/n + z²/4)."""
    centre = (k + Z * Z / 2) / (n + Z * Z)
    half = Z / (n + Z * Z) * math.sqrt(k * (n - k) / n + Z * Z / 4)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def figures():
    return summarise(COHORT, threshold_mm=7.0)


def test_courses_patients_infusions_and_closures(figures):
    assert figures.courses_started == 7
    assert figures.patients == 6  # patient 1 has two courses
    assert figures.patients_treated == 5  # patient 6 never had an infusion
    assert figures.infusions_given == 1 + 2 + 3 + 1 + 1 + 0 + 1  # = 9
    assert figures.closed_by == {
        "completed": 2,  # R1, R7
        "cancelled": 1,  # R6
        "withdrawn": 0,
        "lost-to-follow-up": 1,  # R4
    }
    assert figures.closed == 4
    assert figures.still_open == 3  # R2, R3, R5: counted, not dropped
    assert figures.lost_to_follow_up == 1


def test_thickness_mean_difference_with_t_interval(figures):
    # response - baseline: R1 3.0, R2 3.0, R3 0.5, R4 3.5, R5 7.5-4.5 = 3.0, R7 0.0 (R6 none)
    # mean = 13 / 6 = 2.1667; squared deviations sum to 11.3333, s² = 11.3333 / 5 = 2.2667,
    # s = 1.50555, se = s / √6 = 0.61464; half-width = t(0.975, 5) · se = 2.570582 · 0.61464
    change = figures.thickness_change
    assert change.n == 6
    assert change.mean == pytest.approx(13 / 6)
    se = math.sqrt((11 + 1 / 3) / 5) / math.sqrt(6)
    assert se == pytest.approx(0.61464, abs=1e-5)
    assert change.low == pytest.approx(13 / 6 - T5 * se)  # 0.5867
    assert change.high == pytest.approx(13 / 6 + T5 * se)  # 3.7467
    assert change.low == pytest.approx(0.5867, abs=1e-4)
    assert change.high == pytest.approx(3.7467, abs=1e-4)


def test_share_reaching_the_threshold_with_wilson_interval(figures):
    # at least 7.0 mm: R1 8.0, R2 7.0 (equal counts), R4 9.0, R5 7.5 -> 4; not R3 6.5, R7 5.0
    itt = figures.reached_threshold
    assert (itt.numerator, itt.denominator) == (4, 7)  # per course started: R6 counts
    assert (itt.low, itt.high) == pytest.approx(wilson(4, 7))
    assert (itt.low, itt.high) == pytest.approx((0.2505, 0.8418), abs=1e-4)
    measured = figures.reached_threshold_measured
    assert (measured.numerator, measured.denominator) == (4, 6)
    assert (measured.low, measured.high) == pytest.approx(wilson(4, 6))
    assert figures.with_response == 6


def test_responders_by_each_course_threshold(figures):
    # R7 reached its own 5 mm threshold: a responder, though below the clinic's 7 mm
    assert figures.responders == 5  # R1, R2, R4, R5, R7
    assert figures.non_responders == 1  # R3
    assert figures.no_response_yet == 1  # R6


def test_transfers_pregnancies_and_births(figures):
    assert figures.transfers == 5  # R1 1, R2 2, R5 1, R7 1
    assert figures.courses_with_transfer == 4
    # transfers followed by a clinical pregnancy: R1's, R2's second, R7's -> 3 of 5
    cp = figures.clinical_pregnancy_per_transfer
    assert (cp.numerator, cp.denominator) == (3, 5)
    assert (cp.low, cp.high) == pytest.approx(wilson(3, 5))
    # patients with one: patient 1 (R1 and R7 count once) and patient 2 -> 2 of 6
    per_patient = figures.clinical_pregnancy_per_patient
    assert (per_patient.numerator, per_patient.denominator) == (2, 6)
    assert (per_patient.low, per_patient.high) == pytest.approx(wilson(2, 6))
    # clinical pregnancies ending in a miscarriage: R2's of 3 (R1, R2, R7)
    miscarriage = figures.miscarriage
    assert (miscarriage.numerator, miscarriage.denominator) == (1, 3)
    assert figures.ectopic == 1  # R5 (a positive test, no clinical pregnancy)
    # live births: R1's and R7's transfers -> 2 of 5; patients: patient 1 only -> 1 of 6
    lb = figures.live_birth_per_transfer
    assert (lb.numerator, lb.denominator) == (2, 5)
    assert (lb.low, lb.high) == pytest.approx(wilson(2, 5))
    lbp = figures.live_birth_per_patient
    assert (lbp.numerator, lbp.denominator) == (1, 6)
    assert (lbp.low, lbp.high) == pytest.approx(wilson(1, 6))
    assert (lbp.low, lbp.high) == pytest.approx((0.0301, 0.5635), abs=1e-4)


def test_time_from_first_infusion_to_first_transfer(figures):
    # days: R5 90, R7 95, R1 100, R2 120 (its first transfer). Median (95 + 100) / 2 = 97.5;
    # linear quartiles: Q1 at position 0.75 -> 90 + 0.75 · 5 = 93.75; Q3 at position 2.25 ->
    # 100 + 0.25 · 20 = 105
    wait = figures.time_to_transfer
    assert (wait.n, wait.median, wait.q1, wait.q3) == (4, 97.5, 93.75, 105.0)


def test_response_share_by_source(figures):
    shares = {source: (r.numerator, r.denominator) for source, r in figures.by_source.items()}
    assert shares == {
        "adipose": (1, 2),  # R4 yes, R3 no
        "bone-marrow": (2, 3),  # R1, R2 yes, R7 no (5 mm)
        "menstrual-blood": (1, 1),
        "umbilical-cord": (0, 1),  # R6: started, never infused
    }


def test_curves_aligned_on_the_first_infusion():
    drawn = curves(COHORT)
    assert drawn["courses"] == 6  # R6 has no results
    assert len(drawn["lines"]) == 6
    assert [-5, 4.5] in next(line for line in drawn["lines"] if [-5, 4.5] in line)
    # fortnight 28-41 (drawn at day 35) holds a result of six courses: 8.0, 6.2, 6.0, 9.0, 7.5,
    # 5.0 -> median (6.2 + 7.5) / 2 = 6.85; every other fortnight has fewer than 5: no median
    assert drawn["median"] == [[35, 6.85]]


def test_staff_figures_show_a_dash_under_five(figures):
    shown = {
        row.key: row for _title, rows in disclosure.sections(figures, public=False) for row in rows
    }
    assert shown["reached_threshold"].value == "57.1 %"  # 4 / 7
    assert shown["reached_threshold"].basis == "4 of 7 courses started"
    assert shown["clinical_pregnancy_per_transfer"].value == "60.0 %"  # 3 / 5
    assert shown["miscarriage"].value == "—"  # of 3 clinical pregnancies
    assert shown["miscarriage"].basis == "1 of 3 clinical pregnancies"
    assert shown["time_to_transfer"].value == "—"  # 4 courses
    assert shown["thickness_change"].value == "+2.17 mm"
    assert shown["thickness_change"].interval == "95 % CI +0.59 to +3.75 mm (t)"
    assert shown["still_open"].value == "3"


def test_public_figures_never_show_a_count_under_five(figures):
    shown = {
        row.key: row for _title, rows in disclosure.sections(figures, public=True) for row in rows
    }
    assert shown["courses_started"].value == "7"
    assert shown["still_open"].value == "fewer than 5"
    # 6 patients, 5 treated: the one untreated would follow by subtraction, so 5 is hidden too
    assert shown["patients_treated"].value == "not shown"
    # responders 5, non-responders 1, no response 1: the two small ones hold 2 (under 5), so
    # the next smallest (the 5 responders) is hidden with them
    assert shown["non_responders"].value == "fewer than 5"
    assert shown["responders"].value == "not shown"
    # 4 of 7 would reveal a count under 5: no rate, the denominator still stated
    assert shown["reached_threshold"].value == "not shown"
    assert shown["reached_threshold"].basis == "fewer than 5 of 7 courses started"
    assert shown["clinical_pregnancy_per_transfer"].value == "not shown"
    assert shown["thickness_change"].value == "+2.17 mm"  # a mean over 6 courses
    for row in shown.values():
        assert "%" not in row.value


def test_public_report_hides_a_count_that_subtraction_would_reveal():
    # the demo clinic's closures: 90 started, 58 open, 22 completed, 0 cancelled, 4 withdrawn,
    # 6 lost. Shown as they are, 90 - 58 - 22 - 6 = 4 would give the withdrawn away; the hidden
    # cells (0 and 4) hold 4 < 5, so the next smallest (6 lost) is hidden too; the closed total
    # (32 = 90 - 58) stays, as the open courses are shown.
    f = summarise([], threshold_mm=7.0)
    f.courses_started, f.patients, f.patients_treated = 90, 90, 74
    f.still_open, f.closed = 58, 32
    f.closed_by = {"completed": 22, "cancelled": 0, "withdrawn": 4, "lost-to-follow-up": 6}
    f.lost_to_follow_up = 6
    f.responders, f.non_responders, f.no_response_yet = 60, 7, 23
    shown = {row.key: row.value for _t, rows in disclosure.sections(f, public=True) for row in rows}
    assert shown["still_open"] == "58"
    assert shown["completed"] == "22"
    assert shown["cancelled"] == "fewer than 5"
    assert shown["withdrawn"] == "fewer than 5"
    assert shown["lost_to_follow_up"] == "not shown"
    assert shown["closed"] == "32"
    assert (shown["responders"], shown["non_responders"], shown["no_response_yet"]) == (
        "60",
        "7",
        "23",
    )
    assert shown["patients_treated"] == "74"
    staff = {
        row.key: row.value for _t, rows in disclosure.sections(f, public=False) for row in rows
    }
    assert (staff["withdrawn"], staff["lost_to_follow_up"], staff["closed"]) == ("4", "6", "32")
