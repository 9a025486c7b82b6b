"""The published evidence the clinic's figures are shown beside, with where each comes from.

Context, not a benchmark: the studies' patients, protocols and follow-up differ from any one
clinic's, and odds ratios compare treated with untreated groups, which a clinic's own series
cannot do. Figures as the source text reports them (DESIGN.md §2: seed/000_e69c4ab97aef20b7.txt,
"Can endometrial repair using stem cells work?"); each names the study the way the source does.
"""

from dataclasses import dataclass

SOURCE_TEXT = (
    "Can endometrial repair using stem cells work? (clinical evidence review, 2026; the source "
    "text of this product)"
)


@dataclass(frozen=True, slots=True)
class Evidence:
    key: str
    measure: str  # what was measured
    figure: str  # the published figure, as published
    population: str  # who it was measured in
    study: str  # the study, as the source text names it
    compare_with: str  # the clinic figure it stands beside (a Figures attribute name)


PUBLISHED: tuple[Evidence, ...] = (
    Evidence(
        key="thickness-md",
        measure="Endometrial thickness, mean difference",
        figure="+2.35 mm",
        population="18 clinical studies, 323 patients; against baseline or control groups",
        study="2026 systematic review and meta-analysis of 18 clinical studies",
        compare_with="thickness_change",
    ),
    Evidence(
        key="thin-improvement",
        measure="Measurable thickness improvement",
        figure="about 70-80 % of patients",
        population="unresponsive thin endometrium without extensive scarring",
        study="summary of clinical reports in the source text",
        compare_with="reached_threshold",
    ),
    Evidence(
        key="clinical-pregnancy-or",
        measure="Clinical pregnancy, odds ratio",
        figure="OR 2.72 (p = 0.002)",
        population="randomised controlled trials, MSC therapy against standard care",
        study="2026 meta-analysis of randomised controlled trials",
        compare_with="clinical_pregnancy_per_patient",
    ),
    Evidence(
        key="live-birth-or",
        measure="Live birth, odds ratio",
        figure="OR 2.27 (p = 0.01)",
        population="randomised controlled trials, MSC therapy against standard care",
        study="2026 meta-analysis of randomised controlled trials",
        compare_with="live_birth_per_patient",
    ),
    Evidence(
        key="miscarriage-or",
        measure="Miscarriage, odds ratio",
        figure="OR 0.24 (p = 0.004)",
        population="randomised controlled trials, MSC therapy against standard care",
        study="2026 meta-analysis of randomised controlled trials",
        compare_with="miscarriage",
    ),
    Evidence(
        key="asherman-cumulative-live-birth",
        measure="Cumulative live birth, pooled",
        figure="0.40 (95 % CI 0.22-0.60)",
        population="Asherman's syndrome, all studies pooled",
        study="2026 meta-analysis of stem-cell therapy in Asherman's syndrome",
        compare_with="live_birth_per_patient",
    ),
    Evidence(
        key="single-study-clinical-pregnancy",
        measure="Clinical pregnancy per patient",
        figure="23 of 29 patients (79.3 %)",
        population="subendometrial autologous endometrial MSCs; all had failed conventional "
        "treatment",
        study="one clinical study reported in the source text",
        compare_with="clinical_pregnancy_per_patient",
    ),
    Evidence(
        key="single-study-live-birth",
        measure="Live birth per embryo transfer",
        figure="10 of 22 transfers (45.5 %)",
        population="the same study",
        study="one clinical study reported in the source text",
        compare_with="live_birth_per_transfer",
    ),
)

CAVEAT = (
    "Published figures come from selected study populations and protocols that differ from this "
    "clinic's patients; odds ratios compare treated with untreated groups, which a clinic's own "
    "series cannot. They are context, not a target or a comparison of like with like."
)
