"""What a transfer and a pregnancy change in a plan (DESIGN.md §2 point 9).

* A positive pregnancy test stops planning from her cycles on its day: no visit that is not
  done yet is dated on or after it. The follow-ups still to come are held (listed, no date)
  or dropped, per ``Protocol.follow_ups_in_pregnancy``.
* The pregnancy is over when a later negative test or ``Facts.pregnancy_ended_on`` says so;
  planning from her cycles goes on from then. Held follow-ups are planned again; dropped ones
  stay dropped.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from scheduling.timeline.dates import spoken
from scheduling.timeline.facts import pregnancy_tests
from scheduling.timeline.steps import Facts, Protocol, Step, StepKind

CYCLE_BASED = (StepKind.HARVEST, StepKind.INFUSION, StepKind.ULTRASOUND, StepKind.FOLLOW_UP)


def pregnant_from(facts: Facts) -> date | None:
    """The day of the positive test she is pregnant from (None: she is not)."""
    tests = pregnancy_tests(facts)
    if not tests or not tests[-1].positive:
        return None
    ended = facts.pregnancy_ended_on
    if ended is not None and ended >= tests[-1].on:
        return None
    return tests[-1].on


def ever_positive(facts: Facts) -> bool:
    return any(test.positive for test in pregnancy_tests(facts))


def apply_pregnancy(
    steps: tuple[Step, ...], facts: Facts, protocol: Protocol
) -> tuple[tuple[Step, ...], date | None, list[str]]:
    """The steps a pregnancy leaves, the day she is pregnant from, and what to tell."""
    since = pregnant_from(facts)
    drop = protocol.follow_ups_in_pregnancy == "drop"
    if since is None and not (drop and ever_positive(facts)):
        return steps, None, []
    kept: list[Step] = []
    for step in steps:
        if step.done or step.kind not in CYCLE_BASED:
            kept.append(step)
        elif step.kind == StepKind.FOLLOW_UP:
            if drop:
                continue
            if since is not None and step.date is not None and step.date >= since:
                kept.append(_held(step))
            else:
                kept.append(step)
        elif since is None or step.date is None or step.date < since:
            kept.append(step)
    if since is None:
        return tuple(kept), None, ["The follow-ups were dropped when the pregnancy was confirmed."]
    follow_ups = "dropped" if drop else "held until the pregnancy ends"
    warning = (
        f"Pregnancy test positive on {spoken(since)}: nothing more is planned from her cycles; "
        f"the follow-ups are {follow_ups}."
    )
    return tuple(kept), since, [warning]


def _held(step: Step) -> Step:
    return dataclasses.replace(
        step,
        date=None,
        cycle_start=None,
        cycle_day=None,
        phase=None,
        tentative=False,
        uncertainty_days=0,
        window_start=None,
        window_end=None,
        held=True,
    )
