"""A harness for hostile input: never a 500, and nothing written when the request is refused.

    from tests.security.fuzzing import assert_rejects_cleanly, hostile_text, form_data

    @given(data=form_data(PatientForm))
    def test_patient_form(data): assert_rejects_cleanly(client, "post", url, data)

`assert_rejects_cleanly` snapshots every row of the main tables before the request, sends it,
and fails when the answer is a 5xx (or the view raised), or when a refusal (status >= 400) left
any row added, changed or removed. View access events in the audit log are not "rows changed".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django import forms
from hypothesis import strategies as st

from scheduling import models
from scheduling.timeline import dates

WATCHED = (
    models.Clinic,
    models.Membership,
    models.Room,
    models.ClosedDate,
    models.Patient,
    models.PeriodStart,
    models.Course,
    models.CellBatch,
    models.ThicknessMeasurement,
    models.Appointment,
    models.Reminder,
    models.EmailMessage,
    models.User,
)


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row's values, per watched table."""
    state = {}
    for model in WATCHED:
        rows = list(model._base_manager.order_by("pk").values_list())
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        state[model._meta.label] = (len(rows), digest)
    return state


def _changed(before: dict, after: dict) -> list[str]:
    return [
        f"{label}: {before[label][0]} → {after[label][0]} rows"
        + (" (values changed)" if before[label][0] == after[label][0] else "")
        for label in before
        if before[label] != after[label]
    ]


def assert_rejects_cleanly(
    client, method: str, url: str, data=None, *, json_body: bool = False, **extra
):
    """Send the request; fail on a 5xx, or on a refusal that wrote anything. The response."""
    before = snapshot()
    kwargs = dict(extra)
    if json_body:
        kwargs["content_type"] = "application/json"
        data = data if isinstance(data, str | bytes) else json.dumps(data, default=str)
    try:
        response = getattr(client, method.lower())(url, data, **kwargs)
    except Exception as error:  # the test client re-raises what would have been a 500
        raise AssertionError(
            f"{method.upper()} {url} with {data!r} raised {error!r} (a 500)"
        ) from error
    assert response.status_code < 500, f"{method.upper()} {url} with {data!r}: 500"
    if response.status_code >= 400:
        changed = _changed(before, snapshot())
        assert not changed, (
            f"{method.upper()} {url} was refused ({response.status_code}) but wrote: {changed}"
        )
    return response


# Strategies -----------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "{{ 7*7 }}{% debug %}",
    "../../etc/passwd",
    "\x00",
    "\u202e\u0000\ud7ff",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "Infinity",
    "3.5",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01T25:61",
    "1970-01-01T00:00:00Z",
    "x" * 5000,
    "true",
    "null",
    "[]",
    "{}",
]

# Dates across the whole calendar (year 1 to 9999), the edges of the one range every date falls
# in (scheduling.timeline.dates), and the days around today, where valid input lives.
_TODAY = dt.date.today()
EDGE_DATES = [
    dt.date.min,
    dt.date.max,
    dates.EARLIEST - dt.timedelta(days=1),
    dates.EARLIEST,
    dates.LATEST,
    dates.LATEST + dt.timedelta(days=1),
]
any_date = st.one_of(
    st.dates(min_value=dt.date.min, max_value=dt.date.max),
    st.sampled_from(EDGE_DATES),
    st.integers(min_value=-4000, max_value=800).map(lambda days: _TODAY + dt.timedelta(days)),
)
hostile_dates = any_date.map(dt.date.isoformat)
hostile_datetimes = st.builds(
    lambda day, hour, minute: f"{day.isoformat()}T{hour:02d}:{minute:02d}:00",
    any_date,
    st.integers(min_value=0, max_value=23),
    st.sampled_from([0, 15, 30, 45]),
)

hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    hostile_dates,
)


def form_data(
    form_class: type[forms.BaseForm], *, prefix: str = "", **fixed
) -> st.SearchStrategy[dict]:
    """Dicts with a hostile value (or none) for every field the form declares; a date field
    mostly gets dates from anywhere in the calendar."""

    def value(field: forms.Field) -> st.SearchStrategy:
        if isinstance(field, forms.DateField):
            return st.one_of(st.just(None), hostile_dates, hostile_dates, hostile_text)
        return st.one_of(st.just(None), hostile_text)

    fields = {
        name: value(field) for name, field in form_class.base_fields.items() if name not in fixed
    }

    def clean(values: dict) -> dict:
        named = {k: v for k, v in {**values, **fixed}.items() if v is not None}
        return {f"{prefix}-{k}" if prefix else k: v for k, v in named.items()}

    return st.fixed_dictionaries(fields).map(clean)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)
