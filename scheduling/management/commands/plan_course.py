"""``manage.py plan_course``: plan one course from the command line, without the database.

A thin shell around ``scheduling.timeline``. Exit status: 0 planned; 1 no valid plan (the
reason on stderr); 2 invalid input (one line on stderr). ``--today`` is the clinic's today for
checking facts (default: the real today, read once here); the engine itself reads no clock.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scheduling import timeline
from scheduling.timeline import dates

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _date(text: str) -> date:
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)")


def _thickness(text: str) -> timeline.Thickness:
    """``YYYY-MM-DD:MM`` or ``YYYY-MM-DD:MM:ultrasound-N`` (the visit it was recorded against)."""
    day, _, rest = text.partition(":")
    mm, _, key = rest.partition(":")
    try:
        value = float(mm)
    except ValueError:
        value = math.nan
    number = key.removeprefix("ultrasound-")
    if not math.isfinite(value) or (key and not (number.isdigit() and len(number) <= 2)):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not YYYY-MM-DD:MM or YYYY-MM-DD:MM:ultrasound-N (a date, millimetres "
            "and optionally the ultrasound visit it was recorded against)"
        )
    return timeline.Thickness(_date(day), value, key or None)


def _pregnancy_test(text: str) -> timeline.PregnancyTest:
    """``YYYY-MM-DD:positive`` or ``YYYY-MM-DD:negative``."""
    day, _, result = text.partition(":")
    if result.lower() not in ("positive", "negative"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not YYYY-MM-DD:positive or YYYY-MM-DD:negative"
        )
    return timeline.PregnancyTest(_date(day), result.lower() == "positive")


def _check_period_starts(starts: tuple[date, ...], today: date) -> None:
    """A reported period start is a past date a person typed: inside the plausible range."""
    for day in starts:
        try:
            dates.check_absolute(today, "Today")
            dates.check_plausible(day, today, "A period start", future_allowed=False)
        except dates.DateOutOfRange as error:
            raise timeline.InvalidFact(str(error), "period_start") from None


def _open_days(text: str) -> frozenset[int]:
    days = set()
    for name in filter(None, (part.strip().lower() for part in text.split(","))):
        if name not in WEEKDAYS and name not in FULL_WEEKDAYS:
            raise argparse.ArgumentTypeError(f"unknown weekday {name!r} (use mon,tue,...,sun)")
        days.add(WEEKDAYS.index(name[:3]))
    if not days:
        raise argparse.ArgumentTypeError("the clinic must be open on at least one day")
    return frozenset(days)


def _no_usage(file: Any = None) -> None:
    """Bad input is one line on stderr, not argparse's usage block and then the error."""


class Command(BaseCommand):
    help = "Plan a stem-cell endometrial repair course from cycle dates and known facts."
    requires_system_checks: list[str] = []  # pure computation: no checks, no database

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.print_usage = _no_usage  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=[s.value for s in timeline.Source])
        parser.add_argument("--route", required=True, choices=[r.value for r in timeline.Route])
        parser.add_argument(
            "--period-start", dest="period_starts", type=_date, action="append", required=True
        )
        parser.add_argument("--cycle-length", type=int, default=28)
        parser.add_argument("--luteal-length", type=int, default=14)
        parser.add_argument("--infusions", type=int, default=1)
        parser.add_argument("--not-before", type=_date, help="earliest visit (default: today)")
        parser.add_argument("--open-days", type=_open_days, default=frozenset(range(5)))
        parser.add_argument("--closed", type=_date, action="append", default=[])
        parser.add_argument("--harvested", type=_date)
        parser.add_argument("--released", type=_date)
        parser.add_argument("--expires", type=_date, help="the cell batch's expiry")
        parser.add_argument("--infused", type=_date, action="append", default=[])
        parser.add_argument("--thickness", type=_thickness, action="append", default=[])
        parser.add_argument(
            "--lot-released",
            type=_date,
            help="umbilical-cord courses: the day a dose of a released donor lot was allocated "
            "to the course (the infusion follows after the thaw lead time); --expires is the "
            "lot's expiry. Without it a UC course waits for a donor lot",
        )
        parser.add_argument(
            "--thaw-lead-days",
            type=int,
            default=timeline.Protocol().uc_thaw_lead_days,
            help="days to thaw and prepare a donor-lot dose before it can be infused (default 2)",
        )
        parser.add_argument(
            "--transfer", type=_date, help="the day the embryo transfer was done (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--pregnancy-test",
            dest="pregnancy_tests",
            type=_pregnancy_test,
            action="append",
            default=[],
            help="YYYY-MM-DD:positive|negative (repeatable); a positive test stops planning "
            "from her cycles from that day",
        )
        parser.add_argument(
            "--follow-ups-in-pregnancy",
            choices=["hold", "drop"],
            default="hold",
            help="while she is pregnant the follow-ups are held (listed, no date) or dropped",
        )
        parser.add_argument(
            "--today", type=_date, help="the clinic's today, for checking facts (default: today)"
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        # The engine never reads the clock; "today" is decided here, once.
        today = options["today"] or date.today()  # noqa: DTZ011
        facts = timeline.Facts(
            harvested_on=options["harvested"],
            released_on=options["released"],
            expires_on=options["expires"],
            infusions_done=tuple(options["infused"]),
            thickness_results=tuple(options["thickness"]),
            lot_allocated_on=options["lot_released"],
            transfer_on=options["transfer"],
            pregnancy_tests=tuple(options["pregnancy_tests"]),
        )
        protocol = timeline.Protocol(
            uc_thaw_lead_days=options["thaw_lead_days"],
            follow_ups_in_pregnancy=options["follow_ups_in_pregnancy"],
        )
        course = timeline.CourseInput(
            source=timeline.Source(options["source"]),
            route=timeline.Route(options["route"]),
            planned_infusions=options["infusions"],
            not_before=options["not_before"] or today,
            period_starts=tuple(options["period_starts"]),
            stated_cycle_length=options["cycle_length"],
            luteal_length=options["luteal_length"],
            open_weekdays=options["open_days"],
            closed_dates=frozenset(options["closed"]),
            protocol=protocol,
            facts=facts,
        )
        try:
            _check_period_starts(course.period_starts, today)
            timeline.validate_facts(facts, today=today)
            result = timeline.plan(course)
        except timeline.InvalidCourse as error:
            raise CommandError(str(error), returncode=2) from None
        except timeline.PlanRefused as error:
            raise CommandError(str(error), returncode=1) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(timeline.plan_to_dict(result), indent=2))
        else:
            self.stdout.write(render_text(result))


def _when(step: timeline.Step) -> str:
    if step.held:
        return "held (pregnant)"
    if step.kind == timeline.StepKind.TRANSFER_WINDOW and step.done:
        return f"done {step.date} (window {step.window_start} to {step.window_end})"
    if step.kind == timeline.StepKind.TRANSFER_WINDOW:
        suggested = ", ".join(str(day) for day in step.suggested) or "none"
        return f"{step.window_start} to {step.window_end} (suggested {suggested})"
    if step.kind == timeline.StepKind.EXPANSION:
        ready = f"released {step.released_on}" if step.released_on else f"ready {step.ready_by}"
        start = f"from {step.date}, " if step.date else ""
        expiry = f", expires {step.expires_on}" if step.expires_on else ""
        return f"{start}{ready}{expiry}"
    return str(step.date)


def _name(step: timeline.Step) -> str:
    if step.months is not None:
        return f"follow-up {step.months} months"
    return f"{step.kind} {step.number}" if step.number is not None else str(step.kind)


def render_text(result: timeline.Plan) -> str:
    """The plan as an aligned table, then its warnings."""
    cycle = result.cycle
    pattern = "irregular" if cycle.irregular else "regular"
    lines = [
        f"Cycle {cycle.length} days ({pattern}), ovulation on cycle day {cycle.ovulation_day}, "
        f"luteal phase {cycle.luteal} days; outcome: {result.outcome}",
        "",
    ]
    rows = [("STEP", "DATE / WINDOW", "CYCLE DAY", "PHASE", "TENTATIVE", "DONE")]
    for step in result.steps:
        rows.append(
            (
                _name(step),
                _when(step),
                "" if step.cycle_day is None else str(step.cycle_day),
                "" if step.phase is None else str(step.phase),
                f"yes ±{step.uncertainty_days} days" if step.tentative else "no",
                "yes" if step.done else "no",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if result.waiting_for == timeline.WAITING_FOR_DONOR_LOT:
        lines += ["", "Waiting for a donor lot: no dose is allocated for the next infusion."]
    if result.pregnant_from is not None:
        lines += ["", f"Pregnant from {result.pregnant_from}: nothing planned from her cycles."]
    if result.warnings:
        lines += ["", "Warnings:", *(f"- {warning}" for warning in result.warnings)]
    return "\n".join(line.rstrip() for line in lines)
