"""The change history in words: audit events as entries a coordinator reads.

Each entry is one act: who did it (by name and role, "the patient", or "automatically"),
when (in the clinic's time zone), and what, in sentences (``history_words``). The events one
act writes in one transaction (a re-plan changes many visits and reminders at once) come
out as one entry: its headline is the most telling change, the rest open below it.

The audit trail itself stays as recorded (scheduling/audit.py); this module only reads it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.db import models

from scheduling.audit_actor import ANONYMOUS, PATIENT_LINK, SYSTEM
from scheduling.history_records import record_lines
from scheduling.history_words import ACT, BOOKKEEPING, CONSEQUENCE, SENTENCES, Line, day_text
from scheduling.models import Appointment, AuditEvent, Clinic, Membership, Patient, User
from scheduling.timeline.steps import label, sentence

# Events of one act are written within one transaction: a burst from one actor on one patient.
BURST = dt.timedelta(seconds=3)


@dataclass
class Entry:
    at: dt.datetime  # in the clinic's zone
    who: str
    headline: str
    details: list[str] = field(default_factory=list)
    patient_id: int | None = None
    patient_name: str = ""
    ip_address: str | None = None

    @property
    def when(self) -> str:
        return f"{day_text(self.at.date())} {self.at:%H:%M}"


class EventNames:
    """Names for what events point to, read in one query per kind for a page of events."""

    def __init__(self, clinic: Clinic, events: Sequence[AuditEvent]) -> None:
        self.zone = clinic.zone
        self._events = events
        self._rows: dict[type[models.Model], dict[str, models.Model]] = {}
        visit_ids = set()
        wanted: dict[type[models.Model], set] = {}
        for event in events:
            if event.object_type == "appointment":
                visit_ids.add(event.object_id)
            for name in ("appointment", "room", "clinician"):
                pair = event.changes.get(name) if isinstance(event.changes, dict) else None
                if pair and pair[1]:
                    if name == "appointment":
                        visit_ids.add(str(pair[1]))
                    else:
                        wanted.setdefault(_related_model(name), set()).add(pair[1])
        numeric = [int(pk) for pk in visit_ids if str(pk).isdigit()]
        self._visits = {
            str(pk): (step_key, kind, status)
            for pk, step_key, kind, status in Appointment._base_manager.filter(
                pk__in=numeric
            ).values_list("pk", "step_key", "kind", "status")
        }
        self._related = {
            model: {str(row.pk): _display(row) for row in model._base_manager.filter(pk__in=ids)}
            for model, ids in wanted.items()
        }
        actor_ids = {event.actor_id for event in events if event.actor_id}
        users = {user.pk: user for user in User.objects.filter(pk__in=actor_ids)}
        roles = dict(
            Membership.objects.filter(clinic=clinic, user_id__in=actor_ids).values_list(
                "user_id", "role"
            )
        )
        self._actors = {pk: _person(user, roles.get(pk)) for pk, user in users.items()}
        patient_ids = {event.patient_id for event in events if event.patient_id}
        self.patients = {
            p.pk: f"{p.first_name} {p.last_name} ({_mrn(p.mrn)})"
            for p in Patient._base_manager.filter(pk__in=patient_ids, clinic=clinic)
        }

    def row(self, model: type[models.Model], pk) -> models.Model | None:
        """The record as it stands (None once deleted); one query per kind of record."""
        if model not in self._rows:
            ids = [e.object_id for e in self._events if e.object_type == model._meta.model_name]
            ids = [int(i) for i in ids if str(i).isdigit()]
            rows = model._base_manager.filter(pk__in=ids)
            if model._meta.model_name == "doseallocation":
                rows = rows.select_related("lot")
            self._rows[model] = {str(row.pk): row for row in rows}
        return self._rows[model].get(str(pk))

    def visit(self, appointment_id) -> str:
        step_key, kind, _status = self._visits.get(str(appointment_id), ("", "", ""))
        if step_key:
            return sentence(label(step_key))
        if kind:
            return str(dict(Appointment._meta.get_field("kind").flatchoices).get(kind, kind))
        return "A visit"

    def status(self, appointment_id) -> str:
        return self._visits.get(str(appointment_id), ("", "", ""))[2]

    def related(self, model: type[models.Model], pk) -> str:
        known = self._related.get(model, {})
        if str(pk) in known:
            return known[str(pk)]
        row = model._base_manager.filter(pk=pk).first()
        return _display(row) if row is not None else "a removed record"

    def actor(self, event: AuditEvent) -> str:
        if event.actor_id in self._actors:
            return self._actors[event.actor_id]
        return {
            SYSTEM: "automatically",
            PATIENT_LINK: "the patient",
            ANONYMOUS: "someone not signed in",
        }.get(event.actor_label, event.actor_label)


def _mrn(mrn: str) -> str:
    return mrn if mrn.upper().startswith("MRN") else f"MRN {mrn}"


def _related_model(name: str) -> type[models.Model]:
    return Appointment._meta.get_field(name).related_model


def _display(row: models.Model) -> str:
    if isinstance(row, User):
        return row.get_full_name() or row.get_username()
    return str(row)


def _person(user: User, role: str | None) -> str:
    name = user.get_full_name() or user.get_username()
    if role is None:
        return name
    return (
        f"{name} ({dict(Membership._meta.get_field('role').flatchoices).get(role, role).lower()})"
    )


def _bursts(events: Sequence[AuditEvent]) -> list[list[AuditEvent]]:
    """Newest first in, newest first out: runs of events by one actor on one patient, each
    within BURST of the next."""
    groups: list[list[AuditEvent]] = []
    for event in events:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and event.actor_label == last.actor_label
            and event.actor_id == last.actor_id
            and event.patient_id == last.patient_id
            and event.action != "view"
            and last.action != "view"
            and last.at - event.at <= BURST
        ):
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def _summarise(found: list[Line]) -> tuple[Line | None, list[str]]:
    """The headline and the other lines, reminders counted rather than listed."""
    if not found:
        return None, []
    headline = min(found, key=lambda line: line.weight)
    rest = [line for line in found if line is not headline]
    details = [line.text for line in rest if line.weight != BOOKKEEPING]
    reminders = Counter(line.text for line in rest if line.weight == BOOKKEEPING)
    details += [
        text.replace("Reminder ", f"{count} reminders ", 1) if count > 1 else text
        for text, count in reminders.items()
    ]
    return headline, details


def lines(event: AuditEvent, names: EventNames) -> list[Line]:
    """What one event did, in sentences (none for bookkeeping a reader does not need)."""
    if event.action == "view":
        return [Line("Record opened", BOOKKEEPING)]
    if event.object_type in SENTENCES:
        return SENTENCES[event.object_type](event, names)
    return record_lines(event, names)


def _acts(burst: list[AuditEvent], names: EventNames) -> list[tuple[AuditEvent, list[Line]]]:
    """A burst split into acts, oldest first: each event that says something a person did
    starts an act; the plan's consequences and reminders join the act before them."""
    acts: list[tuple[AuditEvent, list[Line]]] = []
    # A result recorded against a visit marks the visit done in the same act: the result
    # is the act, the visit being done its consequence.
    measured = {
        str(event.changes["appointment"][1])
        for event in burst
        if event.object_type == "thicknessmeasurement"
        and event.action == "create"
        and (event.changes.get("appointment") or [None, None])[1]
    }
    for event in reversed(burst):  # in the order they happened
        found = lines(event, names)
        if event.object_type == "appointment" and event.object_id in measured:
            found = [replace(line, weight=max(line.weight, CONSEQUENCE)) for line in found]
        if not found:
            continue
        has_act = any(line.weight == ACT for line in found)
        if acts and not (has_act and any(line.weight == ACT for line in acts[-1][1])):
            acts[-1][1].extend(found)
        else:
            acts.append((event, found))
    return acts


def entries(events: Iterable[AuditEvent], *, clinic: Clinic) -> list[Entry]:
    """The events (newest first) as entries in words, newest first."""
    events = list(events)
    names = EventNames(clinic, events)
    out = []
    for burst in _bursts(events):
        for first, found in reversed(_acts(burst, names)):
            headline, details = _summarise(found)
            who = names.actor(first)
            text = headline.text
            if not headline.says_who and who != "automatically":
                text = f"{text} by {who}"
            elif who == "automatically" and headline.weight != ACT:
                text = f"{text} (automatically)"
            out.append(
                Entry(
                    at=first.at.astimezone(clinic.zone),
                    who=who,
                    headline=text,
                    details=details,
                    patient_id=first.patient_id,
                    patient_name=names.patients.get(first.patient_id, ""),
                    ip_address=first.ip_address,
                )
            )
    return out
