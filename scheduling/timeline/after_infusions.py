"""After the infusions: the embryo-transfer window and the follow-ups (DESIGN.md §2 point 8).

A mixin of ``planner.Planner`` (it places visits with the planner's ``_visit`` and checks a
chosen day with ``_chosen_day``); the rules are in ``planner``'s docstring.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from scheduling.timeline.cycles import luteal_window
from scheduling.timeline.rules import months_after
from scheduling.timeline.steps import RANK, Step, StepKind

_day = date.fromordinal


class TransferAndFollowUps:
    """The planner's steps after its last infusion."""

    def _plan_transfer(self, last_index: int) -> None:
        cycles = self.cycles
        first = last_index + self.course.protocol.transfer_wait_cycles + 1
        suggested: list[tuple[int, date]] = []  # (cycle index, day)
        for index in (first, first + 1):
            start, length = cycles.bounds(index)
            low, high, preferred = luteal_window(length, self.luteal)
            low, high = max(start + low - 1, self.not_before), start + high - 1
            if low <= high:
                day = cycles.nearest_open(low, high, min(max(start + preferred - 1, low), high))
                if day is not None:
                    suggested.append((index, _day(day)))
        window_start = cycles.bounds(first)[0]
        second_start, second_length = cycles.bounds(first + 1)
        uncertainty = cycles.uncertainty(first + 1)
        step = Step(
            key="transfer-window",
            kind=StepKind.TRANSFER_WINDOW,
            tentative=uncertainty > 0,
            uncertainty_days=uncertainty,
            window_start=_day(window_start),
            window_end=_day(second_start + second_length - 1),
            suggested=tuple(day for _, day in suggested),
        )
        self.transfer_days = (window_start, second_start + second_length - 1)
        transfer = self.course.facts.transfer_on
        if transfer is not None:  # done: the window stays (follow-ups keep out of it)
            step = dataclasses.replace(
                step, date=transfer, done=True, suggested=(), tentative=False, uncertainty_days=0
            )
            self.items.append((window_start, RANK[step.kind], len(self.items), step))
            return
        planned = step.suggested[0].toordinal() if step.suggested else None
        chosen = self._chosen_day(step, planned)
        if chosen is not None:
            # the clinic's day first, then the suggestions of the cycles after its cycle
            at = cycles.locate(chosen)[0]
            later = tuple(day for index, day in suggested if index > at)
            step = dataclasses.replace(step, suggested=(_day(chosen), *later))
        self.items.append((window_start, RANK[StepKind.TRANSFER_WINDOW], len(self.items), step))

    def _plan_follow_ups(self, last_infusion: int) -> None:
        dropped, not_before = self.course.dropped_steps, self.not_before
        transfer = self.transfer_days
        for months in self.course.protocol.follow_up_months:
            if dropped and f"follow-up-{months}" in dropped:
                continue  # nothing is planned from a follow-up
            due = months_after(last_infusion, months)
            index, start, length = self.cycles.locate(due)
            window = self.late_window(length)
            if window is None or start + window[2] - 1 < due:
                index += 1
            low = due if due > not_before else not_before  # never before the n-month date
            if low <= transfer[1]:  # never inside the transfer window: the first cycle after
                found = self.cycles.place(self.late_window, index, low, None)
                if not isinstance(found, str) and transfer[0] <= found[0] <= transfer[1]:
                    low = transfer[1] + 1
            self._visit(f"follow-up-{months}", self.late_window, index, low=low)
