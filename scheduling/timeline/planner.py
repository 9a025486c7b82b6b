"""Course planning (DESIGN.md §2-§3): a course's input and facts in, dated steps out.

Rules the issue left open, decided here:

* A visit (harvest, infusion, ultrasound, follow-up, suggested transfer day) is on an open day,
  on or after ``not_before``, at the open day nearest the preferred day inside its window
  (ties: the earlier). When the cycle the protocol asks for has no such day, the next cycle is
  used and a warning says so; after 13 cycles without one the plan is refused.
* Intrauterine-artery infusion: window CD ``artery_days[0]``-min(``artery_days[1]``, O),
  preferred ``artery_preferred_day``; refused when ovulation falls before that day (default:
  O < 10), whatever the course's preferred (intrauterine) day. Never moved into another phase.
* Late-proliferative window: CD max(6, O-3)-O, so it never reaches into the menstrual days.
* A batch's expiry caps every infusion: a window day before the expiry is chosen if one exists,
  otherwise the plan is refused.
* Bone-marrow/adipose harvests and the expansion do not depend on the cycle: never tentative.
* Umbilical cord: no harvest, no expansion. The next infusion needs a donor-lot dose allocated
  (``Facts.lot_allocated_on``): it goes in the first infusion window with an open day on or
  after the allocation plus ``uc_thaw_lead_days``, before the lot's expiry; the infusions after
  it follow the usual rules. Without a dose the plan stops after the done steps (no infusion,
  transfer window or follow-up) and says so (``Plan.waiting_for``).
* A done transfer (``Facts.transfer_on``): the window is done (no suggested day; follow-ups
  still keep out of it). A positive pregnancy test: see ``pregnancy``.
* A harvest or expansion start implied by later facts but never recorded is left out (there is
  no real date to show); nothing is re-planned before a done infusion.
* Decision: only the response result of the last done infusion (see ``response``): responded
  (no more infusions), below threshold (one more infusion, at least up to the planned number),
  or non-responder at the maximum. Every other result is an observation.
* Follow-ups: the n-month date snapped to the preferred ultrasound day of the cycle it falls
  in (or the next one), never before the n-month date, and never inside the embryo-transfer
  window (when it is planned): one that would fall in it is planned by the same rule from
  the day after the window ends (the late-proliferative window of the first cycle after it).
* Step windows (``window_start``/``window_end``) are the days a planned visit may take within
  its cycle after not-before, readiness and expiry are applied; done steps have none.
* A day the clinic chose for a step not yet done (``CourseInput.chosen_days``) is where the
  step goes while it passes the checks ``check_step_date`` applies against the steps before
  it; later steps are planned from it. One that no longer fits is left out (a warning and a
  ``RejectedChoice``) and the step is planned as if none had been chosen. Facts win: a done
  step ignores its chosen day. A chosen transfer day becomes the first suggested day,
  followed by the suggestions of later cycles.
* ``CourseInput.dropped_steps`` are planned as usual (later steps still follow them) but left
  out of the plan; a done step is a fact and always shown.
"""

from __future__ import annotations

from datetime import date

from scheduling.timeline.after_infusions import TransferAndFollowUps
from scheduling.timeline.cycles import (
    FIRST_PROLIFERATIVE_DAY,
    MAX_SEARCH_CYCLES,
    phase_of_day,
)
from scheduling.timeline.dates import spoken
from scheduling.timeline.pregnancy import apply_pregnancy
from scheduling.timeline.response import Reading, read_results
from scheduling.timeline.rules import CourseRules, WindowRule
from scheduling.timeline.steps import (
    RANK,
    WAITING_FOR_DONOR_LOT,
    CourseInput,
    Outcome,
    Plan,
    PlanRefused,
    RejectedChoice,
    Source,
    Step,
    StepKind,
    Thickness,
    blank_step,
    key_fields,
    label,
    sentence,
)

_day = date.fromordinal
_NO_RESULTS = Reading({}, ())


class Planner(TransferAndFollowUps, CourseRules):
    """One planning run: the course's context plus the steps placed so far."""

    def __init__(self, course: CourseInput) -> None:
        super().__init__(course)
        dropped = course.dropped_steps
        self.chosen = dict(course.chosen_days)
        if dropped:
            self.chosen = {key: day for key, day in self.chosen.items() if key not in dropped}
        self.warnings: list[str] = list(self.estimate.warnings)
        self.rejected: list[RejectedChoice] = []
        self.items: list[tuple[int, int, int, Step]] = []  # (sort day, rank, sequence, step)
        self.outcome = Outcome.PENDING
        self.waiting_for = ""

    # -- placing visits ---------------------------------------------------------------------

    def _visit(
        self,
        key: str,
        window: WindowRule,
        index: int,
        *,
        low: int | None = None,
        high: int | None = None,
        required: bool = False,
    ) -> tuple[int, int]:
        """Place a visit from cycle ``index`` on; ``required``: the protocol asks for exactly
        that cycle, so a later one gets a warning."""
        low = self.not_before if low is None else low
        found = self.cycles.place(window, index, low, high)
        if isinstance(found, str):
            raise PlanRefused(self._refusal(key, found, window, index, low))
        day, at, first, last = found
        missed_cycle = required and at != index
        self.cycle_of[key] = at  # an ultrasound may go as late as the cycle found for it
        chosen = self._chosen_day(blank_step(key), day) if key in self.chosen else None
        if chosen is not None:
            day, at = chosen, self.cycles.locate(chosen)[0]
            # the window of the chosen day's cycle: it holds that day, so place() finds it
            found = self.cycles.place(window, at, low, high)
            first, last = (day, day) if isinstance(found, str) else found[2:]
        if missed_cycle:
            self.warnings.append(
                f"{sentence(label(key))} could not be placed in the cycle starting "
                f"{_day(self.cycles.bounds(index)[0])} (no suitable open clinic day in its "
                f"window); it is planned on {_day(day)} instead."
            )
        self._add(key, day, at, window=(first, last))
        return day, at

    def _chosen_day(self, step: Step, planned: int | None) -> int | None:
        """The day the clinic chose for ``step`` when it differs from ``planned`` and passes
        the checks ``check_step_date`` applies; one that fails them is reported."""
        chosen = self.chosen.get(step.key)
        if chosen is None or chosen.toordinal() == planned:
            return None
        reasons = self.reasons(step, chosen, chosen=True)
        if not reasons:
            return chosen.toordinal()
        reason = " ".join(reasons)
        self.rejected.append(RejectedChoice(step.key, chosen, reason))
        instead = "" if planned is None else f" It is planned on {spoken(planned)} instead."
        self.warnings.append(
            f"{sentence(label(step.key))} was set for {spoken(chosen)}, which no longer fits: "
            f"{reason}{instead}"
        )
        return None

    def _refusal(self, key: str, reason: str, window: WindowRule, index: int, low: int) -> str:
        name = label(key)
        if reason == "expired":
            found = self.cycles.place(window, index, low, None)
            later = (
                "" if isinstance(found, str) else f": the first allowed day is {spoken(found[0])}"
            )
            return (
                f"{sentence(name)} cannot be booked before the {self.cells_name} expires on "
                f"{spoken(self.expiry or low)}{later}."
            )
        return (
            f"No open clinic day falls in the window for {name} in the {MAX_SEARCH_CYCLES} "
            f"cycles from {_day(max(low, self.cycles.bounds(index)[0]))}; check the clinic's "
            "opening days and closures."
        )

    def _add(
        self,
        key: str,
        day: int,
        index: int | None = None,
        *,
        done: bool = False,
        cycle_bound: bool = True,
        window: tuple[int, int] | None = None,
        mm: float | None = None,
    ) -> None:
        """Record a visit; ``cycle_bound=False`` for a date that does not follow the cycle."""
        cycles = self.cycles
        if index is None:
            index = cycles.locate(day)[0]
        start, length = cycles.bounds(index)
        cycle_day = day - start + 1
        uncertainty = 0 if done or not cycle_bound else cycles.uncertainty(index, cycle_day)
        kind, number, months = key_fields(key)
        step = Step(
            key=key,
            kind=kind,
            number=number,
            months=months,
            date=_day(day),
            cycle_start=_day(start),
            cycle_day=cycle_day,
            phase=phase_of_day(cycle_day, length, self.luteal),
            tentative=uncertainty > 0,
            uncertainty_days=uncertainty,
            done=done,
            window_start=None if window is None else _day(window[0]),
            window_end=None if window is None else _day(window[1]),
            thickness_mm=mm,
        )
        self.items.append((day, RANK[step.kind], len(self.items), step))
        self.cycle_of[key] = index

    # -- the course -------------------------------------------------------------------------

    def run(self) -> Plan:
        estimate = self.estimate
        ovulation = estimate.ovulation_day
        if ovulation < FIRST_PROLIFERATIVE_DAY:
            raise PlanRefused(
                f"With a {estimate.length}-day cycle and a {estimate.luteal}-day luteal phase, "
                f"ovulation is predicted on cycle day {ovulation}: there is no proliferative "
                "phase (from cycle day 6) to hold an infusion or a thickness ultrasound."
            )
        if estimate.irregular:
            self.warnings.append(
                f"Her recent cycles vary from {min(estimate.intervals)} to "
                f"{max(estimate.intervals)} days (irregular): every cycle-based date is "
                "tentative until she reports that cycle's first day of bleeding."
            )
        elif not estimate.intervals:
            self.warnings.append(
                f"Only one period start is known, so her stated cycle length of "
                f"{estimate.length} days is used; dates are tentative until she reports her "
                "next period."
            )
        self._plan_cells()
        reading = _NO_RESULTS
        if self.results:
            reading = read_results(
                self.cycles,
                sorted(day.toordinal() for day in self.course.facts.infusions_done),
                self.results,
                self.course.protocol.response_window_days,
            )
        last_day, last_index = self._plan_infusions(reading.responses)
        self.last_infusion = last_day
        dropped = self.course.dropped_steps
        facts = self.course.facts
        if not self.waiting_for:  # else the next infusion is not planned: nothing after it
            if "transfer-window" not in dropped or facts.transfer_on:
                self._plan_transfer(last_index)
            self._plan_follow_ups(last_day)
        self.items.sort()
        steps = tuple(item[3] for item in self.items)
        if dropped:
            steps = tuple(step for step in steps if step.done or step.key not in dropped)
        steps, pregnant, notes = apply_pregnancy(steps, facts, self.course.protocol)
        return Plan(
            estimate,
            steps,
            (*self.warnings, *notes),
            self.outcome,
            reading.observations,
            tuple(self.rejected),
            self.waiting_for,
            pregnant,
        )

    def _plan_cells(self) -> None:
        course, facts, p = self.course, self.course.facts, self.course.protocol
        if course.source == Source.UMBILICAL_CORD:
            allocated = facts.lot_allocated_on
            if allocated is not None:
                self.cells_ready = allocated.toordinal() + p.uc_thaw_lead_days
            elif facts.infusions_done:
                self.cells_ready = max(facts.infusions_done).toordinal()
            return
        used = facts.released_on is not None or bool(facts.infusions_done)
        start = None
        if facts.harvested_on is not None:
            start = facts.harvested_on.toordinal()
            if course.source != Source.UMBILICAL_CORD:
                self._add("harvest", start, done=True)
        elif not used and course.source == Source.MENSTRUAL_BLOOD:
            index = self.cycles.locate(self.not_before)[0]
            start, _ = self._visit("harvest", self.menses_window, index)
        elif not used:
            start = self.cycles.nearest_open(
                self.not_before, self.not_before + 366, self.not_before
            )
            if start is None:
                raise PlanRefused("The clinic has no open day in the year from not-before.")
            if course.source != Source.UMBILICAL_CORD:
                if "harvest" in self.chosen:
                    start = self._chosen_day(blank_step("harvest"), start) or start
                self._add("harvest", start, cycle_bound=False)
        released = facts.released_on
        if released is not None:
            self.cells_ready = released.toordinal()
        elif start is not None:
            self.cells_ready = start + p.expansion_max_days
        else:  # the cells were infused already, their release never recorded
            self.cells_ready = max(day.toordinal() for day in facts.infusions_done)
        if start is None and released is None:
            return
        step = Step(
            key="expansion",
            kind=StepKind.EXPANSION,
            date=None if start is None else _day(start),
            done=used,
            ready_from=None if start is None else _day(start + p.expansion_min_days),
            ready_by=None if start is None else _day(start + p.expansion_max_days),
            released_on=released,
            expires_on=facts.expires_on,
        )
        sort_day = self.cells_ready if start is None else start
        self.items.append((sort_day, RANK[StepKind.EXPANSION], len(self.items), step))

    def _plan_infusions(self, responses: dict[int, Thickness]) -> tuple[int, int]:
        """Done and planned infusions with their ultrasounds; the last infusion's (day, cycle)."""
        course, cycles = self.course, self.cycles
        done = sorted(day.toordinal() for day in course.facts.infusions_done)
        last = anchor = 0
        for number, day in enumerate(done, 1):
            last = cycles.locate(day)[0]
            self._add(f"infusion-{number}", day, last, done=True)
            result = responses.get(number)
            if result is not None:
                self._add(f"ultrasound-{number}", result.on.toordinal(), done=True, mm=result.mm)
            elif number < len(done):
                self.warnings.append(
                    f"No response thickness is recorded for infusion {number} on {_day(day)} "
                    "(the ultrasound in the next cycle's late-proliferative window)."
                )
        total = max(course.planned_infusions, len(done))
        response = responses.get(len(done)) if done else None
        if response is not None:
            anchor = cycles.locate(response.on.toordinal())[0]
            total = self._decide(len(done), response)
        elif done:
            _, anchor = self._visit(
                f"ultrasound-{len(done)}", self.late_window, last + 1, required=True
            )
        if total > len(done) and self.infusion_window(self.estimate.length) is None:
            low, high = course.protocol.artery_days
            raise PlanRefused(
                f"This patient's ovulation is predicted on cycle day "
                f"{self.estimate.ovulation_day}; an intrauterine-artery infusion needs cycle day "
                f"{low}-{high} in the proliferative phase, so it cannot be placed in her cycles."
            )
        last_day = done[-1] if done else 0
        if total > len(done) and self.waits_for_dose():
            self.waiting_for = WAITING_FOR_DONOR_LOT
            self.warnings.append(
                f"No donor-lot dose is allocated to this course: infusion {len(done) + 1} is "
                "planned once a dose of a released, unexpired lot is reserved for it."
            )
            return last_day, last
        low = max(self.cells_ready, self.not_before)
        for number in range(len(done) + 1, total + 1):
            if number > 1:
                self.anchors[number] = anchor
            last_day, last = self._visit(
                f"infusion-{number}",
                self.infusion_window,
                cycles.locate(low)[0] if number == 1 else anchor + 1,
                low=low,
                high=self.expiry,
                required=number > 1,
            )
            _, anchor = self._visit(
                f"ultrasound-{number}", self.late_window, last + 1, required=True
            )
        return last_day, last

    def _decide(self, done: int, response: Thickness) -> int:
        """How many infusions the course holds after the last infusion's response result."""
        p = self.course.protocol
        threshold = p.thickness_threshold_mm
        seen = f"Thickness {response.mm:g} mm on {spoken(response.on)}"
        if response.mm >= threshold:
            self.outcome = Outcome.RESPONDED
            if self.course.planned_infusions > done:
                self.warnings.append(
                    f"{seen} reaches the {threshold:g} mm threshold: the patient responded, so "
                    "no further infusion is planned."
                )
            return done
        if done < p.max_infusions:
            self.warnings.append(
                f"{seen} is below the {threshold:g} mm threshold: infusion {done + 1} is "
                "planned in the next cycle."
            )
            return max(self.course.planned_infusions, done + 1)
        self.outcome = Outcome.NON_RESPONDER
        self.warnings.append(
            f"{seen} is still below the {threshold:g} mm threshold after {done} infusions: the "
            "course ends as non-responder. The embryo-transfer window and follow-ups are still "
            "planned."
        )
        return done


def plan(course: CourseInput) -> Plan:
    """Plan a course from its input and the facts known so far.

    Raises ``InvalidCourse`` (``InvalidFact`` for an impossible fact) for bad input and
    ``PlanRefused`` when no plan fits the rules.
    """
    return Planner(course).run()
