"""The clinical rules of DESIGN.md §2-§3, as pure Python: dates in, plan out.

No Django, no clock, no I/O. `cycles` holds the cycle arithmetic (estimation from reported
period starts, phases, the days a visit may take); `course` plans a course from its input and
the facts known so far, re-plans it, and explains why a proposed day is not allowed.
"""

from scheduling.timeline.course import (
    Change,
    CourseInput,
    Facts,
    Outcome,
    Plan,
    PlanRefused,
    Protocol,
    Route,
    Source,
    Step,
    StepKind,
    check_step_date,
    plan,
    plan_to_dict,
    replan,
)
from scheduling.timeline.cycles import (
    CycleEstimate,
    DayInfo,
    InvalidCourse,
    Phase,
    describe_day,
    estimate_cycle,
)

__all__ = [
    "Change",
    "CourseInput",
    "CycleEstimate",
    "DayInfo",
    "Facts",
    "InvalidCourse",
    "Outcome",
    "Phase",
    "Plan",
    "PlanRefused",
    "Protocol",
    "Route",
    "Source",
    "Step",
    "StepKind",
    "check_step_date",
    "describe_day",
    "estimate_cycle",
    "plan",
    "plan_to_dict",
    "replan",
]
