"""A course at a glance on the patient page: the strip of her cycles with the visits placed on
them, and the thickness chart's data. Both read the engine's plan; neither decides anything.

The strip is one row per cycle, one cell per day, so the page draws it with classes only (the
Content-Security-Policy allows no inline style). Cycles are those from the course's first
visit to the end of the transfer window; a later cycle holding a visit (a long-term
follow-up) is shown after a gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduling import timeline
from scheduling.models import Appointment, AppointmentStatus, Course
from scheduling.timeline.dates import spoken
from scheduling.timeline.steps import label, sentence

PHASE_WORDS = {
    "menstrual": "menstrual",
    "proliferative": "proliferative",
    "late-proliferative": "late proliferative",
    "luteal": "luteal",
}
MAX_CYCLES = 18  # a course's strip never runs longer than its planned year and a half


@dataclass
class StripVisit:
    name: str
    kind: str
    status: str
    day: dt.date

    @property
    def text(self) -> str:
        return f"{self.name}, {spoken(self.day)} ({self.status})"


@dataclass
class StripDay:
    day: dt.date
    cycle_day: int
    phase: str
    ovulation: bool = False
    today: bool = False
    transfer: bool = False
    visits: list[StripVisit] = field(default_factory=list)

    @property
    def title(self) -> str:
        parts = [f"{spoken(self.day)} · CD{self.cycle_day} · {PHASE_WORDS[self.phase]}"]
        if self.ovulation:
            parts.append("ovulation (estimated)")
        if self.transfer:
            parts.append("transfer window")
        if self.today:
            parts.append("today")
        parts += [visit.text for visit in self.visits]
        return " · ".join(parts)


@dataclass
class StripCycle:
    start: dt.date
    days: list[StripDay]
    tentative: bool
    uncertainty_days: int
    gap_before: bool = False

    @property
    def length(self) -> int:
        return len(self.days)

    @property
    def summary(self) -> str:
        """The cycle in words, for screen readers (the bar itself is hidden from them)."""
        runs: list[tuple[str, int, int]] = []
        for day in self.days:
            if runs and runs[-1][0] == day.phase:
                runs[-1] = (day.phase, runs[-1][1], day.cycle_day)
            else:
                runs.append((day.phase, day.cycle_day, day.cycle_day))
        phases = ", ".join(f"{PHASE_WORDS[p]} CD{a} to {b}" for p, a, b in runs)
        text = f"Cycle from {spoken(self.start)}, {self.length} days"
        if self.tentative:
            text += f" (predicted, ±{self.uncertainty_days} days)"
        text += f": {phases}."
        ovulation = next((d for d in self.days if d.ovulation), None)
        if ovulation:
            text += f" Ovulation about CD{ovulation.cycle_day}."
        visits = [f"{v.text} on CD{d.cycle_day}" for d in self.days for v in d.visits]
        if visits:
            text += " Visits: " + "; ".join(visits) + "."
        transfer = [d for d in self.days if d.transfer]
        if transfer:
            text += f" Transfer window CD{transfer[0].cycle_day} to {transfer[-1].cycle_day}."
        today = next((d for d in self.days if d.today), None)
        if today:
            text += f" Today is CD{today.cycle_day}."
        return text


@dataclass
class Strip:
    cycles: list[StripCycle]
    transfer: tuple[dt.date, dt.date] | None


def _visit_name(appointment: Appointment) -> str:
    if appointment.step_key:
        return sentence(label(appointment.step_key))
    return appointment.get_kind_display()


def _transfer_window(plan: timeline.Plan) -> tuple[dt.date, dt.date] | None:
    for step in plan.steps:
        if step.kind == timeline.StepKind.TRANSFER_WINDOW and step.window_start and step.window_end:
            return step.window_start, step.window_end
    return None


def course_strip(
    course: Course, plan: timeline.Plan | None, appointments: list[Appointment], today: dt.date
) -> Strip | None:
    """Her cycles across the course, with its visits, today and the transfer window."""
    if plan is None:
        return None
    zone = course.clinic.zone
    visits: dict[dt.date, list[StripVisit]] = {}
    for appointment in appointments:
        if appointment.status == AppointmentStatus.CANCELLED:
            continue
        day = appointment.starts_at.astimezone(zone).date()
        visits.setdefault(day, []).append(
            StripVisit(
                _visit_name(appointment),
                appointment.kind,
                appointment.get_status_display().lower(),
                day,
            )
        )
    transfer = _transfer_window(plan)
    ends = [max(visits, default=today), today]
    first = min([*visits, today]) if visits else today
    last_core = transfer[1] if transfer else max(ends)
    cycles = _cycles(plan.cycle, first, max([*ends, last_core]))
    shown = [c for c in cycles if c[0] <= last_core or _holds_visit(c, visits)]
    out: list[StripCycle] = []
    previous_end = None
    for start, length in shown[:MAX_CYCLES]:
        days = []
        info_first = timeline.describe_day(plan.cycle, start)
        for offset in range(length):
            day = start + dt.timedelta(days=offset)
            info = timeline.describe_day(plan.cycle, day)
            days.append(
                StripDay(
                    day=day,
                    cycle_day=offset + 1,
                    phase=str(info.phase),
                    today=day == today,
                    transfer=bool(transfer and transfer[0] <= day <= transfer[1]),
                    visits=visits.get(day, []),
                )
            )
        late = [d for d in days if d.phase == "late-proliferative"]
        if late:
            late[-1].ovulation = True
        last_info = timeline.describe_day(plan.cycle, start + dt.timedelta(days=length - 1))
        out.append(
            StripCycle(
                start=start,
                days=days,
                tentative=last_info.tentative or info_first.tentative,
                uncertainty_days=max(info_first.uncertainty_days, last_info.uncertainty_days),
                gap_before=previous_end is not None and start != previous_end,
            )
        )
        previous_end = start + dt.timedelta(days=length)
    return Strip(cycles=out, transfer=transfer)


def _holds_visit(cycle: tuple[dt.date, int], visits) -> bool:
    start, length = cycle
    return any(start <= day < start + dt.timedelta(days=length) for day in visits)


def _cycles(
    estimate: timeline.CycleEstimate, first: dt.date, last: dt.date
) -> list[tuple[dt.date, int]]:
    """(start, length) of each cycle from the one holding ``first`` to the one holding
    ``last``, as the engine places them."""
    out = []
    start = timeline.describe_day(estimate, first).cycle_start
    while start <= last and len(out) < 40:
        # The next cycle starts where the engine says a later day's cycle starts.
        probe = start + dt.timedelta(days=1)
        while timeline.describe_day(estimate, probe).cycle_start == start:
            probe += dt.timedelta(days=1)
        out.append((start, (probe - start).days))
        start = probe
    return out


# The thickness chart --------------------------------------------------------------------------


def thickness_chart_data(course: Course, plan: timeline.Plan | None, appointments) -> dict | None:
    """What static/js/thickness_chart.js draws: results by date (each with its role), the
    infusions done or planned, and the threshold. None when nothing is measured yet."""
    if plan is None or not plan.observations:
        return None
    threshold = course.thickness_threshold_mm or course.clinic.thickness_threshold_mm
    decided = max(
        (o.number for o in plan.observations if o.role == "response" and o.number), default=None
    )
    zone = course.clinic.zone
    infusions = [
        {
            "date": a.starts_at.astimezone(zone).date().isoformat(),
            "label": _visit_name(a),
            "done": a.status == AppointmentStatus.DONE,
        }
        for a in appointments
        if a.kind == "infusion" and a.status != AppointmentStatus.CANCELLED
    ]
    return {
        "threshold": float(threshold),
        "baseline": (
            float(course.patient.baseline_thickness_mm)
            if course.patient.baseline_thickness_mm is not None
            else None
        ),
        "results": [
            {
                "date": o.on.isoformat(),
                "mm": o.mm,
                "role": o.role,
                "decided": o.role == "response" and o.number == decided,
                "label": f"{spoken(o.on)}: {o.mm} mm"
                + (f" (response to infusion {o.number})" if o.role == "response" else ""),
            }
            for o in sorted(plan.observations, key=lambda o: o.on)
        ],
        "infusions": infusions,
    }
