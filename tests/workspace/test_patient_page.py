"""The patient page at a glance: the course strip (cycles with phases, visits, today, the
transfer window) and the thickness chart's data for Chart.js, with the table kept."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import timeline
from scheduling.selectors.courses import course_input
from scheduling.selectors.patients import course_views

pytestmark = pytest.mark.django_db


def test_the_strip_places_each_visit_on_its_cycle_day_with_today_and_the_transfer_window(
    planned_course,
):
    (view,) = course_views(planned_course.patient)
    plan = timeline.plan(course_input(planned_course))
    strip = view.strip
    today = timezone.localdate(timezone=planned_course.clinic.zone)

    days = {day.day: day for cycle in strip.cycles for day in cycle.days}
    assert [d.day for d in days.values() if d.today] == [today]
    infusion = plan.step("infusion-1")
    placed = days[infusion.date]
    assert [v.name for v in placed.visits] == ["Infusion 1"]
    assert placed.cycle_day == infusion.cycle_day and placed.phase == str(infusion.phase)
    window = plan.step("transfer-window")
    shaded = sorted(d.day for d in days.values() if d.transfer)
    assert shaded[0] == window.window_start and shaded[-1] == window.window_end
    for cycle in strip.cycles:  # the engine's phases, in order, one ovulation a cycle
        phases = [d.phase for d in cycle.days]
        assert phases[0] == "menstrual" and phases[-1] == "luteal"
        assert sum(d.ovulation for d in cycle.days) == 1
        assert [d.cycle_day for d in cycle.days] == list(range(1, cycle.length + 1))
    # The 12-month follow-up's cycle comes after a gap, not after a year of empty bars.
    assert any(c.gap_before for c in strip.cycles)
    follow_up = plan.step("follow-up-12").date
    assert follow_up in days


def test_the_page_shows_the_strip_with_words_for_screen_readers_and_chart_data(
    staff_client, coordinator, physician, planned_course
):
    ultrasound = planned_course.appointments.get(step_key="ultrasound-1")
    today = timezone.localdate(timezone=planned_course.clinic.zone)
    planned_course.measurements.create(
        measured_on=today - dt.timedelta(days=1), thickness_mm=Decimal("5.2")
    )
    html = (
        staff_client(coordinator)
        .get(reverse("patient-detail", args=[planned_course.patient_id]))
        .content.decode()
    )

    strip = re.search(r'data-testid="course-strip".*?</figure>', html, re.S)[0]
    assert 'class="strip-bar" aria-hidden="true"' in strip
    summaries = re.findall(r'data-testid="strip-summary">([^<]*)<', strip)
    assert any("Today is CD" in s for s in summaries)
    assert any("Infusion 1" in s and "menstrual CD1 to 5" in s for s in summaries)
    assert any("Transfer window CD" in s for s in summaries)
    assert ultrasound.step_key and "The ultrasound after infusion 1" in strip

    data = json.loads(
        re.search(r'id="thickness-data-\d+" type="application/json">(.*?)</script>', html, re.S)[1]
    )
    assert data["threshold"] == 7.0
    assert [r["mm"] for r in data["results"]] == [5.2]
    assert [i["label"] for i in data["infusions"]] == ["Infusion 1"]
    assert 'data-testid="thickness-results"' in html  # the values stay in a table
    assert "<svg" not in html
