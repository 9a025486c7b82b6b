"""A plan as JSON-ready data, and what moved between two plans of one course."""

from __future__ import annotations

from datetime import date

from scheduling.timeline.steps import Change, Plan, Step, StepKind


def _span(step: Step) -> tuple[date | None, date | None]:
    """What a patient is told moved: a visit's date, the transfer window's bounds."""
    if step.kind == StepKind.TRANSFER_WINDOW:
        return step.window_start, step.window_end
    return step.date, None


def plan_changes(previous: Plan, current: Plan) -> tuple[Change, ...]:
    """The steps whose dates changed, were added or were dropped from ``previous`` to
    ``current``, in ``current``'s order, then the dropped ones."""
    before = {step.key: _span(step) for step in previous.steps}
    changes = []
    for step in current.steps:
        old = before.pop(step.key, (None, None))
        new = _span(step)
        if old != new:
            changes.append(Change(step.key, old[0], new[0], old[1], new[1]))
    changes += [Change(key, old[0], None, old[1], None) for key, old in before.items()]
    return tuple(changes)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def plan_to_dict(plan: Plan) -> dict:
    """The plan as JSON-ready data (the ``plan_course --format json`` contract)."""
    cycle = plan.cycle
    return {
        "cycle_length": cycle.length,
        "luteal_length": cycle.luteal,
        "ovulation_day": cycle.ovulation_day,
        "irregular": cycle.irregular,
        "estimated": cycle.estimated,
        "uncertainty_days": cycle.uncertainty_days,
        "outcome": str(plan.outcome),
        "waiting_for": plan.waiting_for or None,
        "pregnant_from": _iso(plan.pregnant_from),
        "steps": [_step_to_dict(step) for step in plan.steps],
        "observations": [
            {
                "date": item.on.isoformat(),
                "thickness_mm": item.mm,
                "role": item.role,
                "number": item.number,
                "note": item.note,
            }
            for item in plan.observations
        ],
        "rejected_choices": [
            {"key": item.key, "date": item.day.isoformat(), "reason": item.reason}
            for item in plan.rejected_choices
        ],
        "warnings": list(plan.warnings),
    }


def _step_to_dict(step: Step) -> dict:
    data: dict = {"key": step.key, "kind": str(step.kind), "done": step.done}
    if step.kind == StepKind.EXPANSION:
        data["start"] = _iso(step.date)
        data["ready_from"] = _iso(step.ready_from)
        data["ready_by"] = _iso(step.ready_by)
        data["released_on"] = _iso(step.released_on)
        data["expires_on"] = _iso(step.expires_on)
        return data
    data["tentative"] = step.tentative
    data["uncertainty_days"] = step.uncertainty_days
    if step.kind == StepKind.TRANSFER_WINDOW:
        data["start"] = _iso(step.window_start)
        data["end"] = _iso(step.window_end)
        data["suggested"] = [day.isoformat() for day in step.suggested]
        if step.done:
            data["date"] = _iso(step.date)
        return data
    if step.held:
        data["held"] = True
        data["date"] = None
        data["months"] = step.months
        return data
    data["date"] = _iso(step.date)
    data["cycle_start"] = _iso(step.cycle_start)
    data["cycle_day"] = step.cycle_day
    data["phase"] = str(step.phase)
    data["window_start"] = _iso(step.window_start)
    data["window_end"] = _iso(step.window_end)
    if step.number is not None:
        data["number"] = step.number
    if step.months is not None:
        data["months"] = step.months
    if step.thickness_mm is not None:
        data["thickness_mm"] = step.thickness_mm
    return data
