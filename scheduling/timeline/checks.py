"""Why a proposed day is not allowed: the question a coordinator's drag and drop asks."""

from __future__ import annotations

import dataclasses
from datetime import date

from scheduling.timeline.dates import spoken
from scheduling.timeline.planner import Planner
from scheduling.timeline.steps import CourseInput, StepKind, label, sentence


def check_step_date(course: CourseInput, key: str, proposed: date) -> list[str]:
    """Why step ``key`` may not move to ``proposed`` (an empty list: it may).

    Checks the step against the rules and the steps before it; later steps are re-planned
    after the move. The step's own chosen day is left out (the question is whether it may
    move); the other steps' chosen days hold. Raises ``KeyError`` for a key the plan does not
    have, ``InvalidCourse`` for bad input and ``PlanRefused`` when the course has no plan.
    """
    others = tuple(pair for pair in course.chosen_days if pair[0] != key)
    if others != course.chosen_days:
        course = dataclasses.replace(course, chosen_days=others)
    planner = Planner(course)
    step = planner.run().step(key)
    if step.done:
        return [f"{sentence(label(key))} was done on {spoken(step.date)}; a done step cannot move."]
    if step.kind == StepKind.EXPANSION:
        return ["The expansion runs in the lab from the harvest; move the harvest instead."]
    return planner.reasons(step, proposed)
