"""Properties of every plan, over random cycles, clinics and facts (DESIGN.md §3).

Cycles are recomputed here from the reported CD1s and the estimated length, independently of
the engine's own arithmetic: known cycles run from one reported CD1 to the next, predicted ones
every L days after the last.
"""

import os
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import time_machine
from dateutil.relativedelta import relativedelta
from hypothesis import event, given, settings
from hypothesis import strategies as st

from scheduling.timeline import (
    CourseInput,
    Facts,
    Plan,
    PlanRefused,
    Route,
    Source,
    Step,
    StepKind,
    check_step_date,
    plan,
    plan_changes,
    plan_to_dict,
)
from scheduling.timeline.dates import spoken

SETTINGS = settings(max_examples=200, deadline=None)
VISITS = (StepKind.HARVEST, StepKind.INFUSION, StepKind.ULTRASOUND, StepKind.FOLLOW_UP)
CALENDAR_HARVEST = (Source.BONE_MARROW, Source.ADIPOSE)
ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Pacific/Chatham")

# Harvested and expanded cells; umbilical-cord donor lots: test_uc_donor_lot.py.
CELL_SOURCES = [source for source in Source if source != Source.UMBILICAL_CORD]


@st.composite
def courses(draw) -> CourseInput:
    length = draw(st.integers(21, 45))
    irregular = draw(st.booleans())
    jitter = 9 if irregular else 2
    last = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    starts = [last]
    for _ in range(draw(st.integers(0, 7))):
        gap = min(45, max(21, length + draw(st.integers(-jitter, jitter))))
        starts.append(starts[-1] - timedelta(days=gap))
    not_before = last + timedelta(days=draw(st.integers(-5, 50)))
    closed = draw(
        st.frozensets(st.integers(0, 500).map(lambda n: not_before + timedelta(n)), max_size=40)
    )
    return CourseInput(
        source=draw(st.sampled_from(CELL_SOURCES)),
        route=draw(st.sampled_from(Route)),
        planned_infusions=draw(st.integers(1, 3)),
        not_before=not_before,
        period_starts=tuple(draw(st.permutations(starts))),
        stated_cycle_length=length,
        luteal_length=draw(st.integers(10, 16)),
        open_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        closed_dates=closed,
    )


def cycle_at(result: Plan, day: date) -> tuple[date, int]:
    """(start, length) of the cycle holding ``day``."""
    starts, length = result.cycle.starts, result.cycle.length
    if day >= starts[-1]:
        return starts[-1] + timedelta(days=length * ((day - starts[-1]).days // length)), length
    if day >= starts[0]:
        start = max(s for s in starts if s <= day)
        return start, (min(s for s in starts if s > day) - start).days
    back = -(-(starts[0] - day).days // length)
    return starts[0] - timedelta(days=back * length), length


def next_cycle(result: Plan, start: date, length: int) -> tuple[date, int]:
    return cycle_at(result, start + timedelta(days=length))


def cycle_day(result: Plan, day: date) -> tuple[int, int]:
    """(cycle day, ovulation day O) of ``day``."""
    start, length = cycle_at(result, day)
    return (day - start).days + 1, length - result.cycle.luteal


def phase(day: int, ovulation: int) -> str:
    if day <= 5:
        return "menstrual"
    if day > ovulation:
        return "luteal"
    return "late-proliferative" if day >= ovulation - 3 else "proliferative"


def facts_from(result: Plan, count: int, results: list[float], threshold: float = 7.0) -> Facts:
    """The first ``count`` harvest/infusion/ultrasound steps of a plan, done on their dates;
    thickness values from ``results`` (a value below ``threshold`` means another infusion)."""
    facts = Facts()
    visits = [s for s in result.steps if s.kind in (StepKind.INFUSION, StepKind.ULTRASOUND)]
    if count and result.steps[0].kind in (StepKind.HARVEST, StepKind.EXPANSION):
        facts = replace(facts, harvested_on=result.steps[0].date)
    for step in visits[: max(count - 1, 0)]:
        if step.kind == StepKind.INFUSION:
            facts = replace(facts, infusions_done=(*facts.infusions_done, step.date))
        else:
            mm = results[(step.number or 1) - 1]
            if step.done:
                mm = step.thickness_mm
            measured = (*facts.thickness_results, (step.date, mm))
            facts = replace(facts, thickness_results=measured)
    return facts


def planned_or_refused(course: CourseInput) -> Plan | None:
    try:
        return plan(course)
    except PlanRefused as error:
        assert str(error).endswith(".") and len(str(error)) > 20
        return None


def assert_rules(course: CourseInput, result: Plan) -> None:
    steps, facts = result.steps, course.facts
    keys = [s.key for s in steps]
    assert len(keys) == len(set(keys))
    order = [s.date or s.window_start or s.released_on for s in steps]
    assert order == sorted(order)
    harvest = next((s.date for s in steps if s.kind == StepKind.EXPANSION and s.date), None)
    infusions = [s for s in steps if s.kind == StepKind.INFUSION]
    assert infusions, "a plan always holds at least one infusion"
    for step in steps:
        if step.kind in VISITS and not step.done:
            assert_visit_day(course, step.date)
        if step.done:
            assert not step.tentative and step.uncertainty_days == 0
        if step.kind in VISITS:
            start, _ = cycle_at(result, step.date)
            assert (step.cycle_start, step.cycle_day) == (start, (step.date - start).days + 1)
            assert step.phase == phase(*cycle_day(result, step.date))
    for infusion in infusions:
        if infusion.done:
            continue
        day, ovulation = cycle_day(result, infusion.date)
        assert 6 <= day <= ovulation
        if course.route == Route.INTRAUTERINE_ARTERY:
            assert 9 <= day <= min(11, ovulation)
        if facts.released_on:
            assert infusion.date >= facts.released_on
        elif harvest:
            assert infusion.date >= harvest + timedelta(days=21)
        if facts.expires_on:
            assert infusion.date <= facts.expires_on
    for ultrasound in (s for s in steps if s.kind == StepKind.ULTRASOUND and not s.done):
        infused = result.step(f"infusion-{ultrasound.number}").date
        expected = next_cycle(result, *cycle_at(result, infused))
        actual = cycle_at(result, ultrasound.date)
        moved = any(f"after infusion {ultrasound.number} could not" in w for w in result.warnings)
        assert actual == expected or (moved and actual[0] > expected[0])
        day, ovulation = cycle_day(result, ultrasound.date)
        assert max(6, ovulation - 3) <= day <= ovulation
    last_infusion = max(s.date for s in infusions)
    for follow_up in (s for s in steps if s.kind == StepKind.FOLLOW_UP):
        day, ovulation = cycle_day(result, follow_up.date)
        assert max(6, ovulation - 3) <= day <= ovulation
        assert follow_up.phase == "late-proliferative"
        # never in a cycle whose preferred ultrasound day CD O-2 comes before the due date
        due = last_infusion + relativedelta(months=+follow_up.months)
        assert follow_up.date >= due  # never before the n-month date, even on a closed tie
        start, length = cycle_at(result, follow_up.date)
        preferred = start + timedelta(days=max(6, length - result.cycle.luteal - 2) - 1)
        assert preferred >= due
    reported = set(result.cycle.starts)
    current = result.cycle.starts[-1]
    firm_current = not (result.cycle.irregular or result.cycle.estimated)
    for step in steps:
        if step.kind in VISITS and not step.done:
            calendar_only = step.kind == StepKind.HARVEST and course.source in CALENDAR_HARVEST
            # the current cycle is firm past its menstrual days only for a regular, measured
            # pattern (its ovulation is counted back from a guessed next period otherwise)
            guessed = step.cycle_start == current and not firm_current and step.cycle_day >= 6
            predicted = (step.cycle_start not in reported or guessed) and not calendar_only
            assert step.tentative == predicted == (step.uncertainty_days > 0)
            if predicted:
                assert step.uncertainty_days >= max(2, result.cycle.uncertainty_days)
    window = result.step("transfer-window")
    cycle = cycle_at(result, max(s.date for s in infusions))
    for _ in range(3):
        cycle = next_cycle(result, *cycle)
    assert window.window_start == cycle[0]
    fourth = next_cycle(result, *cycle)
    assert window.window_end == fourth[0] + timedelta(days=fourth[1] - 1)
    for suggested in window.suggested:
        assert_visit_day(course, suggested)
        day, ovulation = cycle_day(result, suggested)
        assert day > ovulation and window.window_start <= suggested <= window.window_end


def assert_visit_day(course: CourseInput, day: date | None) -> None:
    assert day is not None and day >= course.not_before
    assert day.weekday() in course.open_weekdays and day not in course.closed_dates


@SETTINGS
@given(courses(), st.data())
def test_every_plan_follows_the_rules(course, data):
    first = planned_or_refused(course)
    if first is None:
        return
    assert_rules(course, first)
    if course.source != Source.UMBILICAL_CORD:
        assert first.steps[0].kind == StepKind.HARVEST
    # the same course part-way through, with random thickness results and batch facts
    count = data.draw(st.integers(0, 2 * len([s for s in first.steps if s.kind in VISITS])))
    mm = data.draw(st.lists(st.floats(3.0, 10.0), min_size=3, max_size=3))
    facts = facts_from(first, count, mm)
    harvested = facts.harvested_on
    if harvested and data.draw(st.booleans()):
        release = harvested + timedelta(days=data.draw(st.integers(10, 30)))
        if not facts.infusions_done or release <= facts.infusions_done[0]:
            facts = replace(facts, released_on=release)
    if data.draw(st.booleans()):
        expiry = course.not_before + timedelta(days=data.draw(st.integers(0, 400)))
        if facts.released_on and expiry <= facts.released_on:  # refused as impossible
            expiry = facts.released_on + timedelta(days=1)
        facts = replace(facts, expires_on=expiry)
    later = replace(course, facts=facts)
    result = planned_or_refused(later)
    event(f"{len(facts.infusions_done)} done, " + (result.outcome if result else "refused"))
    if result is not None:
        assert_rules(later, result)
        for day in facts.infusions_done:
            assert any(s.done and s.date == day for s in result.steps)


@SETTINGS
@given(courses(), st.integers(0, 8), st.integers(0, 8), st.data())
def test_done_steps_never_move(course, first_count, more, data):
    original = planned_or_refused(course)
    if original is None:
        return
    mm = data.draw(st.lists(st.floats(3.0, 10.0), min_size=3, max_size=3))
    earlier = planned_or_refused(replace(course, facts=facts_from(original, first_count, mm)))
    if earlier is None:
        return
    facts = facts_from(earlier, first_count + more, mm)
    try:
        result = plan(replace(course, facts=facts))
    except PlanRefused:
        return
    changes = plan_changes(earlier, result)
    for step in earlier.steps:
        if step.done:
            again = result.step(step.key)
            assert (again.date, again.done, again.thickness_mm) == (
                step.date,
                True,
                step.thickness_mm,
            )
    changed = {change.key for change in changes}
    old = {s.key: span(s) for s in earlier.steps}
    for step in result.steps:
        assert (old.get(step.key) != span(step)) == (step.key in changed)
    assert changed - {s.key for s in result.steps} == old.keys() - {s.key for s in result.steps}


def span(step: Step) -> tuple[date | None, date | None]:
    """What a patient is told moved: a visit's date, the transfer window's bounds."""
    if step.kind == StepKind.TRANSFER_WINDOW:
        return step.window_start, step.window_end
    return step.date, None


@SETTINGS
@given(courses(), st.integers(0, 8))
def test_plan_of_its_own_facts_changes_nothing(course, count):
    """Everything done as planned (responded at the last planned ultrasound, below threshold
    before it): the same dates again."""
    original = planned_or_refused(course)
    if original is None:
        return
    planned = course.planned_infusions
    mm = [5.0] * (planned - 1) + [8.0] + [8.0] * (3 - planned)
    facts = facts_from(original, count, mm)
    again = plan(replace(course, facts=facts))

    def shown(result: Plan) -> list[tuple]:
        # a done visit no longer has a window of allowed days: compare its date only
        return [
            (s.key, span(s), s.suggested, None if s.done else (s.window_start, s.window_end))
            for s in result.steps
            if not (skip_cells and s.key in ("harvest", "expansion"))
        ]

    skip_cells = bool(facts.infusions_done and not facts.harvested_on)
    done = {s.key for s in again.steps if s.done}
    assert [(k, d, x, None if k in done else w) for k, d, x, w in shown(original)] == shown(again)
    fed_back = facts_from(again, count, mm)
    assert fed_back == facts


def planned_day(step: Step) -> date | None:
    """The day a step's appointment goes on: a visit's date, the first suggested transfer day."""
    if step.kind == StepKind.TRANSFER_WINDOW:
        return step.suggested[0] if step.suggested else None
    return step.date


def follows_from(step: Step, key: str) -> bool:
    """Whether the engine plans ``step`` from where step ``key`` is."""
    if key == "harvest":
        return step.kind not in (StepKind.HARVEST, StepKind.EXPANSION)
    name, _, number = key.rpartition("-")
    if name not in ("infusion", "ultrasound"):
        return False
    later_infusion = step.number is not None and step.number > int(number)
    if name == "infusion":
        own_ultrasound = step.key == f"ultrasound-{number}"
        downstream = step.kind in (StepKind.TRANSFER_WINDOW, StepKind.FOLLOW_UP)
        return later_infusion or own_ultrasound or downstream
    return later_infusion


@SETTINGS
@given(courses(), st.integers(0, 8), st.data())
def test_choosing_the_planned_days_changes_nothing(course, count, data):
    """The days the engine planned, chosen again, give the same plan; so does any day chosen
    for a step already done (facts win)."""
    original = planned_or_refused(course)
    if original is None:
        return
    mm = data.draw(st.lists(st.floats(3.0, 10.0), min_size=3, max_size=3))
    course = replace(course, facts=facts_from(original, count, mm))
    partway = planned_or_refused(course)
    if partway is None:
        return
    picked = data.draw(st.lists(st.sampled_from(partway.steps), unique_by=lambda s: s.key))
    chosen = []
    for step in picked:
        day = planned_day(step)
        if step.done:
            day = (step.date or course.not_before) + timedelta(data.draw(st.integers(-30, 30)))
        if day is not None:
            chosen.append((step.key, day))
    event(f"{len(chosen)} chosen, {sum(s.done for s in picked)} of them done")
    assert plan(replace(course, chosen_days=tuple(chosen))) == partway


@SETTINGS
@given(courses(), st.data())
def test_a_chosen_day_lands_where_check_step_date_allows_it(course, data):
    """A chosen day check_step_date accepts is where the step goes, every rule still holds and
    the steps planned from it come after it; a day it refuses changes nothing but a warning."""
    original = planned_or_refused(course)
    if original is None:
        return
    movable = [s for s in original.steps if s.kind != StepKind.EXPANSION and planned_day(s)]
    kind = data.draw(st.sampled_from(sorted({s.kind for s in movable})))
    step = data.draw(st.sampled_from([s for s in movable if s.kind == kind]))
    planned = planned_day(step)
    if step.window_start and step.window_end and data.draw(st.booleans()):
        day = data.draw(st.dates(step.window_start, step.window_end))  # often allowed
    else:
        day = planned + timedelta(data.draw(st.integers(-10, 45)))
    # A chosen day before planning's first day is a booked visit whose day has passed: the
    # planner keeps it (test_a_chosen_day_that_has_passed_is_kept); a person cannot choose one.
    day = max(day, course.not_before)
    reasons = check_step_date(course, step.key, day)
    chosen = replace(course, chosen_days=((step.key, day),))
    result = planned_or_refused(chosen)
    event(f"{step.kind} " + ("refused" if reasons else "accepted"))
    if reasons:
        assert result is not None and result.steps == original.steps
        added = [w for w in result.warnings if w not in original.warnings]
        assert len(added) == 1 and f"was set for {spoken(day)}, which no longer fits" in added[0]
        return
    if result is None:  # a later step found no day after the chosen one
        return
    assert planned_day(result.step(step.key)) == day
    for later in result.steps:
        if follows_from(later, step.key):
            assert (later.date or later.window_start) > day
    if step.kind != StepKind.FOLLOW_UP:  # a chosen follow-up may skip the preferred-day snap
        assert_rules(chosen, result)


@SETTINGS
@given(courses())
def test_dates_survive_time_zones_and_daylight_saving(course):
    result = planned_or_refused(course)
    if result is None:
        return
    days = [s.date for s in result.steps if s.date] + [
        d for s in result.steps for d in (s.window_start, s.window_end, *s.suggested) if d
    ]
    for name in ZONES:
        zone = ZoneInfo(name)
        for day in days:
            local = datetime.combine(day, clock(9, 0), tzinfo=zone)
            assert local.astimezone(UTC).astimezone(zone).date() == day


@settings(max_examples=40, deadline=None)
@given(courses(), st.sampled_from(ZONES), st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)))
def test_output_depends_only_on_the_input_dates(course, zone, now):
    try:
        expected = plan_to_dict(plan(course))
    except PlanRefused as error:
        expected = str(error)
    saved = os.environ.get("TZ")
    try:
        os.environ["TZ"] = zone
        time.tzset()
        with time_machine.travel(now.replace(tzinfo=ZoneInfo(zone)), tick=False):
            try:
                actual = plan_to_dict(plan(course))
            except PlanRefused as error:
                actual = str(error)
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert actual == expected


def test_most_random_courses_are_plannable():
    """Guards the properties above against passing vacuously on refusals."""
    planned = refused = 0

    @settings(max_examples=300, deadline=None, database=None)
    @given(courses())
    def count(course: CourseInput) -> None:
        nonlocal planned, refused
        if planned_or_refused(course) is None:
            refused += 1
        else:
            planned += 1

    count()
    assert planned > 3 * refused
