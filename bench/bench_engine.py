"""Plan 10,000 mixed courses on one core and print courses per second.

    .venv/bin/python bench/bench_engine.py [--courses N] [--rounds R] [--profile]

Courses mix all sources, both routes, 1-3 planned infusions, regular and irregular CD1
histories, clinics with different opening days and closures, and facts taken part-way through
a course (harvest, release, expiry, infusions and thickness results). The courses are built
before the clock starts; a refusal (``PlanRefused``) counts as an answer. The run checks its
own results so a broken engine cannot post a good figure.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from scheduling.timeline import (
    CourseInput,
    Facts,
    Plan,
    PlanRefused,
    Route,
    Source,
    StepKind,
    plan,
)

SEED = 20250106
WEEKDAY_SETS = [frozenset(range(5))] * 6 + [frozenset(range(6)), frozenset({0, 1, 3, 4})]


def random_course(rng: random.Random) -> CourseInput:
    length = rng.randint(24, 40)
    luteal = rng.randint(11, 15)
    irregular = rng.random() < 0.25
    jitter = 9 if irregular else 2
    last = date(2025, 1, 1) + timedelta(days=rng.randint(0, 700))
    starts = [last]
    for _ in range(rng.randint(0, 6)):
        gap = min(45, max(21, length + rng.randint(-jitter, jitter)))
        starts.append(starts[-1] - timedelta(days=gap))
    rng.shuffle(starts)
    not_before = last + timedelta(days=rng.randint(0, 25))
    route = Route.INTRAUTERINE_ARTERY if rng.random() < 0.3 else Route.INTRAUTERINE
    if route == Route.INTRAUTERINE_ARTERY and length - luteal < 12 and rng.random() < 0.8:
        route = Route.INTRAUTERINE  # artery where valid, with a few refusals left in
    closed = {not_before + timedelta(days=rng.randint(0, 420)) for _ in range(rng.randint(0, 25))}
    return CourseInput(
        source=rng.choice(list(Source)),
        route=route,
        planned_infusions=rng.randint(1, 3),
        not_before=not_before,
        period_starts=tuple(starts),
        stated_cycle_length=length,
        luteal_length=luteal,
        open_weekdays=rng.choice(WEEKDAY_SETS),
        closed_dates=frozenset(closed),
    )


def part_way(rng: random.Random, course: CourseInput) -> CourseInput:
    """The same course after some of its steps happened as planned."""
    try:
        first = plan(course)
    except PlanRefused:
        return course
    visits = [s for s in first.steps if s.kind in (StepKind.INFUSION, StepKind.ULTRASOUND)]
    done = visits[: rng.randint(0, len(visits))]
    cells = next((s for s in first.steps if s.kind == StepKind.EXPANSION), None)
    harvested = cells.date if cells else None
    facts = Facts(
        harvested_on=harvested,
        released_on=cells.ready_from if cells and rng.random() < 0.5 else None,
        expires_on=harvested + timedelta(days=rng.randint(150, 400)) if harvested else None,
        infusions_done=tuple(s.date for s in done if s.kind == StepKind.INFUSION),
        thickness_results=tuple(
            (s.date, round(rng.uniform(4.0, 9.0), 1)) for s in done if s.kind == StepKind.ULTRASOUND
        ),
    )
    last_done = max((s.date for s in done), default=course.not_before)
    return replace(course, facts=facts, not_before=max(course.not_before, last_done))


def build(count: int) -> list[CourseInput]:
    rng = random.Random(SEED)
    courses = []
    for _ in range(count):
        course = random_course(rng)
        courses.append(part_way(rng, course) if rng.random() < 0.5 else course)
    return courses


def plan_all(courses: list[CourseInput]) -> tuple[int, int, int]:
    """(plans, refusals, steps) over all courses."""
    plans = refusals = steps = 0
    for course in courses:
        try:
            result: Plan = plan(course)
        except PlanRefused:
            refusals += 1
            continue
        plans += 1
        steps += len(result.steps)
    return plans, refusals, steps


class BenchmarkInvalid(RuntimeError):
    """The engine's answers are not real plans: the figure would mean nothing."""


def check(condition: bool, message: str) -> None:
    if not condition:  # not ``assert``: ``python -O`` must not skip the checks
        raise BenchmarkInvalid(message)


def verify(courses: list[CourseInput], plans: int, refusals: int, steps: int) -> None:
    check(plans + refusals == len(courses), "every course must get an answer")
    check(refusals < 0.1 * len(courses), f"too many refusals ({refusals}) for a fair mix")
    check(steps >= 7 * plans, "each plan holds at least 7 steps")
    for course in courses[:: max(1, len(courses) // 200)]:  # spot-check real content
        try:
            result = plan(course)
        except PlanRefused:
            continue
        infusions = [s for s in result.steps if s.kind == StepKind.INFUSION]
        check(bool(infusions) and all(s.date for s in infusions), "infusions have dates")
        last = max(s.date for s in infusions if s.date)
        window = result.step("transfer-window").window_start
        check(window is not None and window > last, "transfer window after the infusions")
        kinds = {s.kind for s in result.steps}
        check({StepKind.FOLLOW_UP, StepKind.ULTRASOUND} <= kinds, "ultrasounds and follow-ups")
        results = course.facts.thickness_results
        check(len(result.observations) == len(results), "every thickness result is charted")
        decided = [s for s in result.steps if s.kind == StepKind.ULTRASOUND and s.done]
        responses = [o for o in result.observations if o.role == "response"]
        check(len(decided) == len(responses), "each done ultrasound holds a response result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="show the top functions")
    options = parser.parse_args()
    courses = build(options.courses)
    if options.profile:
        profiler = cProfile.Profile()
        profiler.runcall(plan_all, courses)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    rates, cpu_rates = [], []
    for round_number in range(1, options.rounds + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        plans, refusals, steps = plan_all(courses)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        verify(courses, plans, refusals, steps)
        rates.append(len(courses) / elapsed)
        cpu_rates.append(len(courses) / cpu)
        print(
            f"round {round_number}: {len(courses)} courses in {elapsed:.3f} s = "
            f"{rates[-1]:,.0f} courses/s ({elapsed / len(courses) * 1e6:.1f} µs each; "
            f"{plans} plans with {steps} steps, {refusals} refused)"
        )
    median = statistics.median(rates)
    print(f"courses per second (median of {len(rates)} rounds, one core): {median:,.0f}")
    # on a shared machine the wall clock includes waiting for a core; CPU time does not
    print(f"courses per CPU-second (median): {statistics.median(cpu_rates):,.0f}")


if __name__ == "__main__":
    main()
