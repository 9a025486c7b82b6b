"""Sequences the state machine (test_sequences.py) once found failing, replayed as examples."""

from decimal import Decimal

from tests.planning.test_sequences import ClinicDay


def test_a_moved_tentative_visit_whose_day_passes_is_planned_again(db):
    """A coordinator moved a tentative infusion (pinning its day); the day passed with nobody
    booked. The sweep re-plans the course from today instead of keeping the past day."""
    clinic_day = ClinicDay()
    try:
        clinic_day.close_a_day(days=0)
        clinic_day.move(days=10, hour=11, index=0)
        clinic_day.close_a_day(days=0)
        clinic_day.thickness(against_visit=False, course=0, days_ago=0, mm=Decimal("3.0"))
        clinic_day.time_passes(days=15)
        clinic_day.no_live_visit_on_a_closed_day_or_in_the_past_unless_flagged_or_awaited()
    finally:
        clinic_day.teardown()
