"""The clinical rules of DESIGN.md §2-§3, as pure Python: dates in, plan out.

No Django, no clock, no I/O. Modules, each readable on its own:

* ``dates``: the date range every date must fall in (absolute, plausible around today).
* ``cycles``: cycle arithmetic (phases, the days a visit may take, open clinic days).
* ``history``: the cycle estimate from reported period starts (near-duplicates, missed
  reports, ``period_start_conflict``).
* ``steps``: the vocabulary (protocol, facts, course input, steps, plan, observations).
* ``facts``: one validation of the input (``InvalidFact``, ``validate_facts``).
* ``response``: which thickness result decides; the others are observations.
* ``rules``: what each step needs and why a day does not give it.
* ``planner``: ``plan``. ``checks``: ``check_step_date``. ``serialise``: ``plan_to_dict``,
  ``plan_changes``.

Callers import from this package.
"""

from scheduling.timeline.checks import check_step_date
from scheduling.timeline.cycles import (
    CycleEstimate,
    DayInfo,
    InvalidCourse,
    Phase,
    describe_day,
)
from scheduling.timeline.facts import InvalidFact, validate_facts
from scheduling.timeline.history import estimate_cycle, period_start_conflict
from scheduling.timeline.planner import plan
from scheduling.timeline.serialise import plan_changes, plan_to_dict
from scheduling.timeline.steps import (
    WAITING_FOR_DONOR_LOT,
    Change,
    CourseInput,
    Facts,
    Observation,
    Outcome,
    Plan,
    PlanRefused,
    PregnancyTest,
    Protocol,
    RejectedChoice,
    Route,
    Source,
    Step,
    StepKind,
    Thickness,
)

__all__ = [
    "WAITING_FOR_DONOR_LOT",
    "Change",
    "CourseInput",
    "CycleEstimate",
    "DayInfo",
    "Facts",
    "InvalidCourse",
    "InvalidFact",
    "Observation",
    "Outcome",
    "Phase",
    "Plan",
    "PlanRefused",
    "PregnancyTest",
    "Protocol",
    "RejectedChoice",
    "Route",
    "Source",
    "Step",
    "StepKind",
    "Thickness",
    "check_step_date",
    "describe_day",
    "estimate_cycle",
    "period_start_conflict",
    "plan",
    "plan_changes",
    "plan_to_dict",
    "validate_facts",
]
