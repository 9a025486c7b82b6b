"""Properties of the public report over random cohorts: no count under 5 is shown, no rate
rests on (or reveals) fewer than 5, and no count under 5 follows by subtraction within a set
of counts that adds up to a published total."""

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.reports import disclosure
from scheduling.reports.cohort import CLOSED, CourseRecord, Event, summarise

D0 = dt.date(2025, 1, 6)
STATUSES = ["active", "responded", "non-responder", "transferred", "pregnant", *CLOSED]
SOURCES = ["bone-marrow", "adipose", "menstrual-blood", "umbilical-cord"]


@st.composite
def records(draw, key: int):
    infusions = draw(st.integers(0, 3))
    response = draw(st.one_of(st.none(), st.floats(3.0, 12.0).map(lambda v: round(v, 1))))
    events = []
    if draw(st.booleans()):
        events.append(Event("transfer", D0 + dt.timedelta(days=100)))
        positive = draw(st.booleans())
        events.append(Event("pregnancy-test", D0 + dt.timedelta(days=112), positive))
        if positive and draw(st.booleans()):
            events.append(Event("clinical-pregnancy", D0 + dt.timedelta(days=135)))
            ending = draw(st.sampled_from(["live-birth", "miscarriage", None]))
            if ending:
                events.append(Event(ending, D0 + dt.timedelta(days=200)))
    return CourseRecord(
        key=key,
        patient=draw(st.integers(0, 40)),
        source=draw(st.sampled_from(SOURCES)),
        route="intrauterine",
        diagnosis="thin-endometrium",
        severity="",
        status=draw(st.sampled_from(STATUSES)),
        threshold_mm=7.0,
        baseline_mm=draw(st.one_of(st.none(), st.just(5.0))),
        response_mm=response if infusions else None,
        infusions=tuple(D0 + dt.timedelta(days=28 * n) for n in range(infusions)),
        events=tuple(events),
    )


cohorts = st.integers(0, 40).flatmap(
    lambda n: st.tuples(*[records(key) for key in range(n)]) if n else st.just(())
)
NUMBER = re.compile(r"^[\d,]+$")


@settings(max_examples=150, deadline=None)
@given(cohorts)
def test_public_figures_never_reveal_fewer_than_five(cohort):
    figures = summarise(list(cohort), threshold_mm=7.0)
    rows = [row for _t, rows in disclosure.sections(figures, public=True) for row in rows]
    rows += disclosure.by_source(figures, {}, public=True)
    for row in rows:
        if NUMBER.match(row.value):
            assert int(row.value.replace(",", "")) >= 5, row
        if row.value.endswith("%"):
            numbers = [int(n) for n in re.findall(r"\d+", row.basis)]
            numerator, denominator = numbers[0], numbers[1]
            assert min(numerator, denominator, denominator - numerator) >= 5, row
        for number in re.findall(r"\d+", row.basis):
            assert int(number) >= 5, row  # "fewer than 5" never appears as a digit
    # within each set adding up to a published total, the hidden counts hold 0 or at least 5
    # (under 5 in all, the total itself reads "fewer than 5")
    shown = {row.key: row.value for row in rows}
    closed = figures.closed_by
    counts = {
        "still_open": figures.still_open,
        "completed": closed["completed"],
        "cancelled": closed["cancelled"],
        "withdrawn": closed["withdrawn"],
        "lost_to_follow_up": closed["lost-to-follow-up"],
        "responders": figures.responders,
        "non_responders": figures.non_responders,
        "no_response_yet": figures.no_response_yet,
    }
    closure = ("still_open", "completed", "cancelled", "withdrawn", "lost_to_follow_up")
    response = ("responders", "non_responders", "no_response_yet")
    if figures.courses_started >= 5:  # the total both sets add up to is published
        for group in (closure, response):
            held = [counts[key] for key in group if not NUMBER.match(shown[key])]
            assert sum(held) == 0 or sum(held) >= 5, {key: shown[key] for key in group}
        if 0 < figures.still_open < 5:  # nor from the courses started minus those closed
            assert not NUMBER.match(shown["closed"]), shown["closed"]
