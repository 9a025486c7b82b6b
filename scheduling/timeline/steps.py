"""The engine's vocabulary: what goes into a plan (protocol, facts, course) and what comes out
(steps, observations, changes), plus how a coordinator names a step inside a sentence.

Pure data, no rules: ``facts`` validates the input, ``planner`` builds the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from scheduling.timeline.cycles import CycleEstimate, Phase


class Source(StrEnum):
    BONE_MARROW = "bone-marrow"
    ADIPOSE = "adipose"
    MENSTRUAL_BLOOD = "menstrual-blood"
    UMBILICAL_CORD = "umbilical-cord"


class Route(StrEnum):
    INTRAUTERINE = "intrauterine"
    INTRAUTERINE_ARTERY = "intrauterine-artery"


class StepKind(StrEnum):
    HARVEST = "harvest"
    EXPANSION = "expansion"
    INFUSION = "infusion"
    ULTRASOUND = "ultrasound"
    TRANSFER_WINDOW = "embryo-transfer-window"
    FOLLOW_UP = "follow-up"


class Outcome(StrEnum):
    PENDING = "pending"
    RESPONDED = "responded"
    NON_RESPONDER = "non-responder"


WAITING_FOR_DONOR_LOT = "donor-lot"
FOLLOW_UPS_IN_PREGNANCY = ("hold", "drop")


class PlanRefused(Exception):
    """No plan satisfies the rules; ``str(error)`` is a sentence for the coordinator."""


@dataclass(frozen=True, slots=True)
class Protocol:
    """Protocol parameters (DESIGN §2 defaults), set per clinic and overridable per course.

    The transfer window spans cycles C+wait+1 and C+wait+2 after the last infusion's cycle C.
    ``preferred_infusion_day`` is the intrauterine route's; the intrauterine-artery route
    uses ``artery_days`` cut at ovulation, preferred ``artery_preferred_day``.
    ``response_window_days``: the response ultrasound is read on CD max(6, O - days) to CD O.
    ``min_period_gap_days``: reported period starts closer than this are near-duplicates;
    ``missed_period_tolerance_days``: an interval this close to 2 or 3 typical cycles is read
    as missed period reports.
    ``uc_thaw_lead_days``: a donor-lot dose (umbilical cord) is thawed and prepared for this
    many days after it is allocated before it can be infused.
    ``follow_ups_in_pregnancy``: "hold" (listed as held, planned again once the pregnancy
    ended) or "drop" (left out of the plan from the positive test on).
    """

    preferred_infusion_day: int = 10
    expansion_min_days: int = 14
    expansion_max_days: int = 21
    thickness_threshold_mm: float = 7.0
    max_infusions: int = 3
    transfer_wait_cycles: int = 2
    follow_up_months: tuple[int, ...] = (3, 6, 12)
    menstrual_harvest_days: tuple[int, int] = (1, 3)
    menstrual_harvest_preferred_day: int = 2
    artery_days: tuple[int, int] = (9, 11)
    artery_preferred_day: int = 10
    response_window_days: int = 3
    min_period_gap_days: int = 10
    missed_period_tolerance_days: int = 4
    uc_thaw_lead_days: int = 2
    follow_ups_in_pregnancy: str = "hold"


DEFAULT_PROTOCOL = Protocol()  # DESIGN §2's defaults, checked once (the planner skips it)


class Thickness(NamedTuple):
    """An endometrial thickness result. ``step_key`` ("ultrasound-2"): the visit it was
    recorded against, if any. A plain ``(date, mm)`` tuple reads the same."""

    on: date
    mm: float
    step_key: str | None = None


class PregnancyTest(NamedTuple):
    """A pregnancy test's day and result; a plain ``(date, bool)`` tuple reads the same."""

    on: date
    positive: bool


@dataclass(frozen=True, slots=True)
class Facts:
    """What has happened so far. ``thickness_results`` holds ``Thickness`` (or (date, mm)).

    Umbilical-cord courses have no harvest or batch release: ``lot_allocated_on`` is the day a
    dose of a released donor lot was reserved for the next infusion (None: none is), and
    ``expires_on`` that lot's expiry. ``transfer_on``: the embryo transfer was done.
    ``pregnancy_tests`` hold ``PregnancyTest`` (or (date, positive)); ``pregnancy_ended_on``:
    a miscarriage or an ectopic pregnancy ended the pregnancy a positive test found.
    """

    harvested_on: date | None = None
    released_on: date | None = None
    expires_on: date | None = None
    infusions_done: tuple[date, ...] = ()
    thickness_results: tuple[Thickness | tuple[date, float], ...] = ()
    lot_allocated_on: date | None = None
    transfer_on: date | None = None
    pregnancy_tests: tuple[PregnancyTest | tuple[date, bool], ...] = ()
    pregnancy_ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class CourseInput:
    """Everything a plan depends on: dates in, nothing read from a clock or a database."""

    source: Source
    route: Route
    planned_infusions: int
    not_before: date
    period_starts: tuple[date, ...]
    stated_cycle_length: int = 28
    luteal_length: int = 14
    open_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    closed_dates: frozenset[date] = frozenset()
    protocol: Protocol = DEFAULT_PROTOCOL
    facts: Facts = field(default_factory=Facts)
    # (step key, day) the clinic chose for steps not done yet. Not facts: the plan may reject
    # them (``Plan.rejected_choices``).
    chosen_days: tuple[tuple[str, date], ...] = ()
    # Keys of steps a person dropped: "ultrasound-2", "follow-up-3", "transfer-window".
    dropped_steps: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a course, keyed "harvest", "expansion", "infusion-1", "ultrasound-1",
    "transfer-window", "follow-up-3"...

    Visits have ``date`` and the cycle it falls in; ``window_start``/``window_end`` are the days
    a planned visit may move to. The expansion's ``date`` is its start. The transfer window has
    ``window_start``/``window_end`` and ``suggested`` transfer days instead of a date.
    ``tentative``: the date hangs on a predicted CD1, give or take ``uncertainty_days``.
    ``held``: a follow-up held while the patient is pregnant (no date).
    """

    key: str
    kind: StepKind
    date: date | None = None
    cycle_start: date | None = None
    cycle_day: int | None = None
    phase: Phase | None = None
    tentative: bool = False
    uncertainty_days: int = 0
    done: bool = False
    number: int | None = None
    months: int | None = None
    window_start: date | None = None
    window_end: date | None = None
    ready_from: date | None = None
    ready_by: date | None = None
    released_on: date | None = None
    expires_on: date | None = None
    suggested: tuple[date, ...] = ()
    thickness_mm: float | None = None
    held: bool = False


@dataclass(frozen=True, slots=True)
class Observation:
    """A thickness result as the plan read it, for the chart.

    ``role``: "baseline" (before the first infusion), "response" (the response ultrasound of
    infusion ``number``) or "observation" (anything else: never decides). ``note`` says why a
    result did not decide the course (None for a response result).
    """

    on: date
    mm: float
    role: str
    note: str | None = None
    number: int | None = None


@dataclass(frozen=True, slots=True)
class RejectedChoice:
    """A day the clinic chose for a step that no longer fits; ``reason`` is the sentences why.
    The step is planned as if no day had been chosen."""

    key: str
    day: date
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    """A course's steps in date order, with sentences a coordinator should read.

    ``waiting_for``: what the course waits for before its next infusion can be planned
    (``WAITING_FOR_DONOR_LOT``: an umbilical-cord course with no donor-lot dose allocated);
    empty when nothing. ``pregnant_from``: the positive test that stopped cycle planning.
    """

    cycle: CycleEstimate
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]
    outcome: Outcome = Outcome.PENDING
    observations: tuple[Observation, ...] = ()
    rejected_choices: tuple[RejectedChoice, ...] = ()
    waiting_for: str = ""
    pregnant_from: date | None = None

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"This course has no step {key!r}.")


@dataclass(frozen=True, slots=True)
class Change:
    """A step that moved; a None date means the step was added or dropped. For the transfer
    window the dates are its first day, and ``old_end``/``new_end`` its last."""

    key: str
    old_date: date | None
    new_date: date | None
    old_end: date | None = None
    new_end: date | None = None


# -- naming steps ------------------------------------------------------------------------------

RANK = {kind: rank for rank, kind in enumerate(StepKind)}  # order of steps on the same day
_KINDS = {"harvest": StepKind.HARVEST, "infusion": StepKind.INFUSION}
_KINDS |= {"ultrasound": StepKind.ULTRASOUND, "follow-up": StepKind.FOLLOW_UP}


def label(key: str) -> str:
    """How a coordinator names a step, inside a sentence."""
    name, _, number = key.rpartition("-")
    if name == "infusion":
        return f"infusion {number}"
    if name == "ultrasound":
        return f"the ultrasound after infusion {number}"
    if name == "follow-up":
        return f"the {number}-month follow-up"
    return "the embryo-transfer window" if key == "transfer-window" else f"the {key}"


def sentence(text: str) -> str:
    return text[0].upper() + text[1:]


@lru_cache(maxsize=64)
def key_fields(key: str) -> tuple[StepKind, int | None, int | None]:
    """What a visit's key says: its kind, infusion number and follow-up months."""
    name, _, number = key.rpartition("-")  # "infusion-2", "follow-up-3", "harvest"
    return (
        _KINDS[name or number],
        int(number) if name in ("infusion", "ultrasound") else None,
        int(number) if name == "follow-up" else None,
    )


def blank_step(key: str) -> Step:
    """A step with only what its key says, for checking a day chosen for it."""
    kind, number, months = key_fields(key)
    return Step(key=key, kind=kind, number=number, months=months)
