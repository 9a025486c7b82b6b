"""The words of the change history for the clinic's and the lab's records: cell batches,
donor lots and doses, consent forms, outcomes, the clinic's settings, rooms, closed days,
calendar feeds and staff accounts (the patient's own path is in ``history_words``).

Each record is named as staff name it ("Cell batch LOT-00012", "Room Procedure room 1"),
from its row as it stands, since a change event lists only the fields that changed.
"""

from __future__ import annotations

from django.apps import apps

from scheduling.history_words import (
    Line,
    Names,
    _after,
    _before,
    _date,
    day_text,
    field_changes,
    lower_first,
    value_text,
)
from scheduling.models import Room, User
from scheduling.services.slots import kinds_text


def _model(event):
    try:
        return apps.get_model("scheduling", event.object_type)
    except LookupError:
        return None


def _subject(event, names: Names) -> str:
    """How staff name the record an event is about."""
    model = _model(event)
    row = names.row(model, event.object_id) if model is not None else None
    changes = event.changes

    def now_or_then(name):
        value = getattr(row, name, None) if row is not None else None
        return (
            value if value not in (None, "") else (_after(changes, name) or _before(changes, name))
        )

    kind = event.object_type
    if kind == "cellbatch":
        return f"Cell batch {now_or_then('lot_number') or ''}".strip()
    if kind == "donorlot":
        return f"Donor lot {now_or_then('lot_number') or ''}".strip()
    if kind == "doseallocation":
        lot = getattr(getattr(row, "lot", None), "lot_number", "")
        return f"A dose of donor lot {lot}".strip() if lot else "A donor-lot dose"
    if kind == "courseconsent":
        return f"Consent form {now_or_then('form_version') or ''}".strip()
    if kind == "courseoutcome":
        outcome = now_or_then("kind")
        return value_text(model, "kind", outcome, names) if outcome else "An outcome"
    if kind == "room":
        return f"Room {now_or_then('name') or ''}".strip()
    if kind == "closeddate":
        day = _date(str(now_or_then("date") or ""))
        return f"Closed day {day_text(day)}" if day else "A closed day"
    if kind == "calendarfeed":
        return _feed_name(row, names)
    if kind == "user":
        name = (row.get_full_name() or row.get_username()) if row is not None else ""
        return f"Staff account {name or now_or_then('username') or ''}".strip()
    if kind == "clinic":
        return "Clinic settings"
    return str(model._meta.verbose_name).capitalize() if model is not None else "A record"


def _feed_name(row, names: Names) -> str:
    if row is None:
        return "A calendar feed"
    if row.room_id:
        return f"Calendar feed for room {names.related(Room, row.room_id)}"
    return f"Calendar feed for {names.related(User, row.clinician_id)}"


def _changes(event, names: Names, subject: str, skip=()) -> list[Line]:
    model = _model(event)
    texts = field_changes(model, event.changes, names, skip=skip)
    return [Line(f"{subject}: {lower_first(text)}") for text in texts]


def _generic(event, names: Names) -> list[Line]:
    subject = _subject(event, names)
    if event.object_type == "clinic" and event.action == "create":
        return [Line(f"Clinic {_after(event.changes, 'name') or ''} set up".replace("  ", " "))]
    if event.action == "create":
        return [Line(f"{subject} added")]
    if event.action == "delete":
        return [Line(f"{subject} removed")]
    return _changes(event, names, subject)


def _status_first(event, names: Names) -> list[Line]:
    """A batch, lot or dose: its new status first, then whatever else changed."""
    if event.action != "change" or "status" not in event.changes:
        return _generic(event, names)
    subject = _subject(event, names)
    status = value_text(_model(event), "status", _after(event.changes, "status"), names)
    now = Line(f"{subject} now {lower_first(status)}")
    return [now, *_changes(event, names, subject, skip={"status"})]


def _consent(event, names: Names) -> list[Line]:
    subject, changes = _subject(event, names), event.changes
    if event.action == "create":
        signed = _date(str(_after(changes, "signed_on") or ""))
        witness = _after(changes, "witnessed_by")
        said = f" signed {day_text(signed)}" if signed else ""
        said += f", witnessed by {witness}" if witness else ""
        return [Line(f"{subject}{said} recorded")]
    withdrawn = _date(str(_after(changes, "withdrawn_on") or ""))
    if withdrawn:
        reason = _after(changes, "withdrawal_reason")
        return [
            Line(
                f"{subject} withdrawn on {day_text(withdrawn)}" + (f" ({reason})" if reason else "")
            )
        ]
    return _generic(event, names)


def _outcome(event, names: Names) -> list[Line]:
    if event.action != "create":
        return _generic(event, names)
    on = _date(str(_after(event.changes, "occurred_on") or ""))
    return [Line(f"{_subject(event, names)} recorded" + (f" for {day_text(on)}" if on else ""))]


def _room(event, names: Names) -> list[Line]:
    if event.action == "change" and "is_active" in event.changes:
        use = "back in use" if _after(event.changes, "is_active") else "taken out of use"
        return [Line(f"{_subject(event, names)} {use}")]
    if event.action == "change" and "visit_kinds" in event.changes:
        subject = _subject(event, names)
        held = kinds_text(_after(event.changes, "visit_kinds") or [])
        return [
            Line(f"{subject} now holds: {held}"),
            *_changes(event, names, subject, skip={"visit_kinds"}),
        ]
    return _generic(event, names)


def _closed_date(event, names: Names) -> list[Line]:
    day = _date(str(_after(event.changes, "date") or _before(event.changes, "date") or ""))
    if day is None or event.action == "change":
        return _generic(event, names)
    if event.action == "create":
        reason = _after(event.changes, "reason")
        return [Line(f"Clinic closed on {day_text(day)}" + (f" ({reason})" if reason else ""))]
    return [Line(f"Clinic open again on {day_text(day)}")]


def _feed(event, names: Names) -> list[Line]:
    if event.action == "change" and _after(event.changes, "revoked_at"):
        return [Line(f"{_subject(event, names)} revoked")]
    return _generic(event, names)


RECORD_SENTENCES = {
    "cellbatch": _status_first,
    "donorlot": _status_first,
    "doseallocation": _status_first,
    "courseconsent": _consent,
    "courseoutcome": _outcome,
    "room": _room,
    "closeddate": _closed_date,
    "calendarfeed": _feed,
}


def record_lines(event, names: Names) -> list[Line]:
    return RECORD_SENTENCES.get(event.object_type, _generic)(event, names)
