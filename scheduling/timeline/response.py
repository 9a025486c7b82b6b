"""Which thickness result decides (DESIGN §2.6): the response ultrasound, nothing else.

For done infusion n the **response result** is the result recorded against "ultrasound-n"
(the last such in the facts), else the first result measured inside the response window: CD
max(6, O - ``response_window_days``) to CD O of the cycle after infusion n's cycle (or, when
that window has no open clinic day, of the cycle the ultrasound would be placed in), and
before infusion n+1. Only the last done infusion's response decides the course; every other
result (baseline, the infusion's own cycle, follow-ups, after the decision, outside any
window) is an observation: charted, never moving a step or changing the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from scheduling.timeline.cycles import (
    FIRST_PROLIFERATIVE_DAY,
    CycleCalendar,
    late_proliferative_window,
    phase_of_day,
)
from scheduling.timeline.dates import spoken
from scheduling.timeline.steps import Observation, Thickness

_day = date.fromordinal
_DECIDES = "only the ultrasound in the next cycle's late-proliferative window decides"


@dataclass(frozen=True, slots=True)
class Reading:
    """The thickness results as the course reads them."""

    responses: dict[int, Thickness]  # infusion number -> its response result
    observations: tuple[Observation, ...]


def response_window(
    cycles: CycleCalendar, infused: int, until: int | None, days_before: int
) -> tuple[int, int, int] | None:
    """(first, last ordinal, cycle start) of the window holding infusion ``infused``'s response
    ultrasound, cut before the next infusion (``until``); None when it holds no day."""
    luteal = cycles.luteal
    index = cycles.locate(infused)[0] + 1
    found = cycles.place(
        lambda length: late_proliferative_window(length, luteal), index, infused + 1, None
    )
    if not isinstance(found, str):
        index = found[1]
    start, length = cycles.bounds(index)
    ovulation = length - luteal
    if ovulation < FIRST_PROLIFERATIVE_DAY:
        return None
    first = start + max(FIRST_PROLIFERATIVE_DAY, ovulation - days_before) - 1
    last = start + ovulation - 1
    if until is not None:
        last = min(last, until - 1)
    return (first, last, start) if first <= last else None


def read_results(
    cycles: CycleCalendar, done: Sequence[int], results: Sequence[Thickness], days_before: int
) -> Reading:
    """Find each done infusion's response result and say what every other result is."""
    count = len(done)
    ordered = sorted(enumerate(results), key=lambda pair: (pair[1].on, pair[0]))
    chosen: dict[int, int] = {}  # infusion number -> position of its response result
    for position, result in enumerate(results):
        number = _ultrasound_number(result.step_key)
        if number is not None and 1 <= number <= count and result.on.toordinal() > done[number - 1]:
            chosen[number] = position
    windows = [
        response_window(cycles, day, done[n] if n < count else None, days_before)
        for n, day in enumerate(done, 1)
    ]
    used = set(chosen.values())
    for number, window in enumerate(windows, 1):
        if number in chosen or window is None:
            continue
        for position, result in ordered:
            # a result recorded against a visit answers for that visit only
            day = result.on.toordinal()
            if result.step_key is None and position not in used and window[0] <= day <= window[1]:
                chosen[number] = position
                used.add(position)
                break
    responses = {number: results[position] for number, position in chosen.items()}
    response_of = {position: number for number, position in chosen.items()}
    decided = responses.get(count)
    observations = []
    for position, result in ordered:
        number = response_of.get(position)
        if number is not None:
            observations.append(Observation(result.on, result.mm, "response", None, number))
            continue
        role = "baseline" if not done or result.on.toordinal() < done[0] else "observation"
        note = _note(cycles, done, windows, responses, decided, result)
        observations.append(Observation(result.on, result.mm, role, note))
    return Reading(responses, tuple(observations))


def _ultrasound_number(key: str | None) -> int | None:
    if key is None or not key.startswith("ultrasound-"):
        return None
    number = key.removeprefix("ultrasound-")
    return int(number) if number.isdigit() else None


def _note(
    cycles: CycleCalendar,
    done: Sequence[int],
    windows: Sequence[tuple[int, int, int] | None],
    responses: dict[int, Thickness],
    decided: Thickness | None,
    result: Thickness,
) -> str:
    """Why ``result`` does not decide the course, as a sentence."""
    on, day = result.on, result.on.toordinal()
    measured = f"Measured on {spoken(on)}"
    keyed = _ultrasound_number(result.step_key)
    if keyed is not None and (keyed > len(done) or day <= done[keyed - 1]):
        return (
            f"{measured} and recorded against the ultrasound after infusion {keyed}, which "
            "was not done before it: an observation."
        )
    if not done or day < done[0]:
        return (
            f"{measured}, before the first infusion: a baseline; only the ultrasound in the "
            "cycle after an infusion decides."
        )
    if decided is not None and day > decided.on.toordinal():
        return (
            f"{measured}, after the response ultrasound of {spoken(decided.on)} decided the "
            "course: an observation (it never re-decides the course)."
        )
    number = max(n for n, infused in enumerate(done, 1) if infused <= day)
    infused = done[number - 1]
    index, start, length = cycles.locate(day)
    cycle_day = day - start + 1
    phase = phase_of_day(cycle_day, length, cycles.luteal)
    if day == infused:
        return f"{measured}, the day of infusion {number}: an observation; {_DECIDES}."
    if index == cycles.locate(infused)[0]:
        return (
            f"{measured}, cycle day {cycle_day} of the cycle of infusion {number}: an "
            f"observation; {_DECIDES}."
        )
    window, response = windows[number - 1], responses.get(number)
    if response is not None:
        return (
            f"{measured}; the response to infusion {number} is the result of {response.on}: "
            "an observation."
        )
    where = (
        "no day"
        if window is None
        else (
            f"cycle day {window[0] - window[2] + 1}-{window[1] - window[2] + 1} of the cycle from "
            f"{_day(window[2])}"
        )
    )
    return (
        f"{measured}, cycle day {cycle_day} ({phase} phase): outside the window where the "
        f"response to infusion {number} is read ({where}): an observation. Record it against "
        "the ultrasound visit if it was the response ultrasound."
    )
