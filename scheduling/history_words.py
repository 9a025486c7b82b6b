"""The words of the change history: one audit event's changes as sentences a coordinator reads.

``lines(event, names)`` says what one event did ("Infusion 1 moved from Tue 8 Dec to Thu 10
Dec"); ``scheduling/history.py`` groups the events of one act and says who did it and when.
No model names, field names, ids, versions or UTC stamps reach a sentence: values are shown
in the clinic's conventions (en-GB, "Tue 8 Dec 2026", 24-hour times, the clinic's zone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from scheduling.audit_fields import HIDDEN
from scheduling.timeline.steps import label, sentence

# How much a line tells: the act a person did first, the plan's knock-on changes after, the
# reminders' bookkeeping last. An entry's headline is its most telling line.
ACT, CONSEQUENCE, BOOKKEEPING = 0, 1, 2

# Fields that say nothing to a reader (bookkeeping of the outbox, locking, row keys).
QUIET = frozenset(
    {
        "id",
        "version",
        "pinned",
        "clinic",
        "patient",
        "course",
        "appointment_version",
        "claim_token",
        "lease_expires_at",
        "send_started_at",
        "attempts",
        "sequence",
        "payload",
        "last_error",
        "sent_at",
        "recorded_by",
        "reported_by_user",
        "resolved_by",
        "resolved_at",
        "reserved_by",
        "document",
    }
)


class Names(Protocol):
    zone: dt.tzinfo

    def visit(self, appointment_id) -> str: ...

    def status(self, appointment_id) -> str: ...

    def related(self, model: type[models.Model], pk) -> str: ...

    def row(self, model: type[models.Model], pk) -> models.Model | None: ...


@dataclass(frozen=True)
class Line:
    text: str
    weight: int = ACT
    # The sentence already says who acted ("reported by the patient").
    says_who: bool = False


# Values ---------------------------------------------------------------------------------------


def day_text(day: dt.date, *, weekday: bool = True, year: bool = True) -> str:
    text = f"{day.day} {day:%b}"
    if weekday:
        text = f"{day:%a} {text}"
    return f"{text} {day.year}" if year else text


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _moment(value, zone) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.astimezone(zone) if moment.tzinfo else moment


def moment_text(value, zone, *, with_time: bool = True) -> str:
    moment = _moment(value, zone)
    if moment is None:
        return str(value)
    day = day_text(moment.date())
    return f"{day} {moment:%H:%M}" if with_time else day


def _field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(model: type[models.Model], name: str) -> str:
    field = _field(model, name)
    text = str(field.verbose_name) if field is not None else name.replace("_", " ")
    if text.startswith("qc "):
        text = "QC " + text[3:]
    return text[:-3] + " (mm)" if text.endswith(" mm") else text


def value_text(model: type[models.Model], name: str, value, names: Names) -> str:
    """A recorded value as a person reads it."""
    if value in (None, "", []):
        return "none"
    if value == HIDDEN:
        return "set"
    if name == "open_weekdays":
        return ", ".join(day.strip().capitalize() for day in str(value).split(","))
    field = _field(model, name)
    if field is None:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(field, models.DateTimeField):
        return moment_text(value, names.zone)
    if isinstance(field, models.DateField):
        day = _date(value)
        return day_text(day) if day else str(value)
    if isinstance(field, models.TimeField):
        return str(value)[:5]
    if isinstance(field, models.ForeignKey):
        return names.related(field.related_model, value)
    if isinstance(field, models.DecimalField):
        try:
            return f"{Decimal(str(value)).normalize():f}"
        except InvalidOperation:
            return str(value)
    return str(value)


def field_changes(model, changes: dict, names: Names, skip=()) -> list[str]:
    """ "Email changed from a@x to b@y" for each field a reader cares about."""
    out = []
    for name, (old, new) in changes.items():
        if name in QUIET or name in skip:
            continue
        what = sentence(field_label(model, name))
        if HIDDEN in (old, new):
            out.append(f"{what} changed")
        elif old in (None, "", []):
            out.append(f"{what} set to {value_text(model, name, new, names)}")
        elif new in (None, "", []):
            out.append(f"{what} cleared (was {value_text(model, name, old, names)})")
        else:
            old_text = value_text(model, name, old, names)
            out.append(f"{what} changed from {old_text} to {value_text(model, name, new, names)}")
    return out


def lower_first(text: str) -> str:
    """ "Email set to …" inside a sentence: "email set to …" (but "QC released on" stays)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _after(changes: dict, name: str):
    pair = changes.get(name)
    return None if pair is None else pair[1]


def _before(changes: dict, name: str):
    pair = changes.get(name)
    return None if pair is None else pair[0]


# One sentence maker per audited model ----------------------------------------------------------


def _visit_name(event, names: Names) -> str:
    step_key = _after(event.changes, "step_key") or _before(event.changes, "step_key")
    if step_key:
        return sentence(label(step_key))
    kind = _after(event.changes, "kind") or _before(event.changes, "kind")
    if kind:
        return value_text(apps.get_model("scheduling", "Appointment"), "kind", kind, names)
    return names.visit(event.object_id)


def _when(value, names: Names, *, timed: bool) -> str:
    return moment_text(value, names.zone, with_time=timed)


def _appointment(event, names: Names) -> list[Line]:
    changes, visit = event.changes, _visit_name(event, names)
    status, old_status = _after(changes, "status"), _before(changes, "status")
    old_start, new_start = _before(changes, "starts_at"), _after(changes, "starts_at")
    if event.action == "create":
        if status == "tentative":
            spread = _after(changes, "uncertainty_days")
            around = f" (±{spread} d)" if spread else ""
            day = _when(new_start, names, timed=False)
            return [Line(f"{visit} planned for {day}{around}", CONSEQUENCE)]
        return [Line(f"{visit} booked for {_when(new_start, names, timed=True)}")]
    if event.action == "delete":
        return [Line(f"{visit} removed from the plan", CONSEQUENCE)]
    out: list[Line] = []
    booked_now = status == "booked" and old_status == "tentative"
    if booked_now:
        day = f" for {_when(new_start, names, timed=True)}" if new_start else ""
        out.append(Line(f"{visit} booked{day}{_where(changes, names)}"))
    elif status in STATUS_WORDS:
        reason = _after(changes, "cancel_reason")
        out.append(Line(f"{visit} {STATUS_WORDS[status]}" + (f" ({reason})" if reason else "")))
    if new_start and not booked_now:
        # A person's move of a booked or pinned visit is an act; a re-plan's move of a
        # tentative one is its consequence.
        tentative = (status or names.status(event.object_id)) == "tentative"
        pinned = bool(_after(changes, "pinned"))
        old_text = _when(old_start, names, timed=not tentative)
        new_text = _when(new_start, names, timed=not tentative)
        if old_text != new_text:
            weight = CONSEQUENCE if tentative and not pinned else ACT
            out.append(Line(f"{visit} moved from {old_text} to {new_text}", weight))
    if "rebooking_reason" in changes:
        reason = _after(changes, "rebooking_reason")
        text = (
            f"{visit} needs re-booking: {reason}"
            if reason
            else f"{visit} no longer needs re-booking"
        )
        out.append(Line(text, CONSEQUENCE))
    if _after(changes, "kept_despite"):
        out.append(Line(f"{visit} kept where it stands"))
    if not booked_now and _where(changes, names):
        out.append(Line(f"{visit} now{_where(changes, names)}"))
    if "uncertainty_days" in changes and not out:
        spread = _after(changes, "uncertainty_days")
        text = f"±{spread} days" if spread else "a firm date"
        out.append(Line(f"{visit}: predicted date now {text}", CONSEQUENCE))
    if "notes" in changes:
        out.append(Line(f"{visit}: notes changed"))
    return out


STATUS_WORDS = {
    "confirmed": "confirmed",
    "done": "recorded as done",
    "no-show": "marked as a no-show",
    "cancelled": "cancelled",
    "tentative": "back to a planned, not yet booked visit",
    "booked": "booked again",
}


def _where(changes: dict, names: Names) -> str:
    model = apps.get_model("scheduling", "Appointment")
    parts = []
    if _after(changes, "room"):
        parts.append(
            f" in {names.related(apps.get_model('scheduling', 'Room'), _after(changes, 'room'))}"
        )
    if _after(changes, "clinician"):
        parts.append(f" with {value_text(model, 'clinician', _after(changes, 'clinician'), names)}")
    return "".join(parts)


def _period_start(event, names: Names) -> list[Line]:
    changes = event.changes
    day = _date(_after(changes, "date") or _before(changes, "date") or "")
    day_words = day_text(day, weekday=False) if day else "a period start"
    if event.action == "create":
        held = " (held to check: close to another period start)"
        held = held if _after(changes, "status") == "to-check" else ""
        if _after(changes, "reported_by") == "patient":
            return [Line(f"Period start {day_words} reported by the patient{held}", says_who=True)]
        return [Line(f"Period start {day_words} recorded{held}")]
    if event.action == "delete":
        return [Line(f"Period start {day_words} deleted")]
    out = []
    if "date" in changes:
        old = _date(_before(changes, "date") or "")
        old_words = day_text(old, weekday=False) if old else "none"
        out.append(Line(f"Period start corrected from {old_words} to {day_words}"))
    if _after(changes, "status") == "applied":
        out.append(Line(f"Period start {day_words} checked and used for planning"))
    return out


def _thickness(event, names: Names) -> list[Line]:
    changes = event.changes
    model = apps.get_model("scheduling", "ThicknessMeasurement")
    mm = value_text(model, "thickness_mm", _after(changes, "thickness_mm"), names)
    day = _date(_after(changes, "measured_on") or _before(changes, "measured_on") or "")
    on = day_text(day) if day else ""
    if event.action == "create":
        appointment = _after(changes, "appointment")
        if appointment:
            visit = names.visit(appointment)
            return [Line(f"Thickness {mm} mm recorded for {visit[:1].lower()}{visit[1:]} on {on}")]
        return [Line(f"Thickness {mm} mm recorded, measured on {on}")]
    if event.action == "delete":
        old = value_text(model, "thickness_mm", _before(changes, "thickness_mm"), names)
        return [Line(f"Thickness result of {old} mm ({on}) replaced")]
    if "thickness_mm" in changes:
        old = value_text(model, "thickness_mm", _before(changes, "thickness_mm"), names)
        return [Line(f"Thickness of {on} changed from {old} mm to {mm} mm")]
    return [Line(text) for text in field_changes(model, changes, names)]


def _reminder(event, names: Names) -> list[Line]:
    changes = event.changes
    model = apps.get_model("scheduling", "Reminder")
    kind = value_text(model, "kind", _after(changes, "kind"), names)
    status = _after(changes, "status")
    if event.action == "create":
        return [Line(f"Reminder scheduled: {kind}", BOOKKEEPING)]
    verb = {
        "sent": "sent",
        "cancelled": "cancelled",
        "failed": "could not be sent",
        "missed": "not sent in time",
    }.get(status)
    return [Line(f"Reminder {verb}", BOOKKEEPING)] if verb else []


def _reschedule(event, names: Names) -> list[Line]:
    changes = event.changes
    if event.action == "create":
        visit = names.visit(_after(changes, "appointment"))
        note = _after(changes, "note")
        said = f": “{note}”" if note else ""
        text = f"The patient asked to reschedule {visit[:1].lower()}{visit[1:]}{said}"
        return [Line(text, says_who=True)]
    resolution = _after(changes, "resolution")
    if resolution or _after(changes, "resolved_at"):
        return [Line(f"Reschedule request resolved: {resolution or 'no note'}")]
    return []


def _course(event, names: Names) -> list[Line]:
    model = apps.get_model("scheduling", "Course")
    changes = event.changes
    if event.action == "create":
        source = value_text(model, "source", _after(changes, "source"), names)
        route = value_text(model, "route", _after(changes, "route"), names)
        count = _after(changes, "planned_infusions")
        planned = f"{count} infusion{'' if count == 1 else 's'} planned"
        return [Line(f"Course started: {source}, {route.lower()}, {planned}")]
    out = []
    if "status" in changes:
        new = value_text(model, "status", _after(changes, "status"), names)
        out.append(Line(f"Course now {new.lower()}", CONSEQUENCE))
    if "dropped_steps" in changes:
        before = set(_before(changes, "dropped_steps") or ())
        for key in sorted(set(_after(changes, "dropped_steps") or ()) - before):
            out.append(Line(f"{sentence(label(key))} dropped from the course"))
    texts = field_changes(model, changes, names, skip={"status", "dropped_steps"})
    return out + [Line(f"Course: {lower_first(text)}") for text in texts]


def _patient(event, names: Names) -> list[Line]:
    model = apps.get_model("scheduling", "Patient")
    if event.action == "create":
        return [Line("Patient record created")]
    if event.action == "delete":
        return [Line("Patient record deleted")]
    return [Line(text) for text in field_changes(model, event.changes, names)]


def _membership(event, names: Names) -> list[Line]:
    model = apps.get_model("scheduling", "Membership")
    user = _after(event.changes, "user") or _before(event.changes, "user")
    if user is None:
        row = names.row(model, event.object_id)
        user = row.user_id if row is not None else None
    person = value_text(model, "user", user, names) if user else "A staff member"
    role = value_text(model, "role", _after(event.changes, "role"), names).lower()
    if event.action == "create":
        return [Line(f"{person} joined the clinic as {role}")]
    if event.action == "delete":
        return [Line(f"{person} left the clinic")]
    if "role" not in event.changes:
        return []
    old = value_text(model, "role", _before(event.changes, "role"), names).lower()
    return [Line(f"{person}'s role changed from {old} to {role}")]


SENTENCES = {
    "patient": _patient,
    "membership": _membership,
    "appointment": _appointment,
    "periodstart": _period_start,
    "thicknessmeasurement": _thickness,
    "reminder": _reminder,
    "reschedulerequest": _reschedule,
    "course": _course,
}
