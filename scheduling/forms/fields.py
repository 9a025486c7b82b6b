"""Form fields and form rules shared by every form a person fills in.

- ``ClinicDateField``: one date range for every date typed into a form
  (``scheduling.timeline.dates``: never outside ``EARLIEST``..``LATEST``, and within the
  plausible range around the clinic's today).
- ``ClinicDatesMixin``: a form that takes ``today=`` and hands it to its date fields.
- ``save_unique``: a save that turns the database's unique refusal (a race the form's own
  check could not see) into a message on the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from scheduling.forms.widgets import DateInput
from scheduling.timeline import dates

T = TypeVar("T")


class ClinicDateField(forms.DateField):
    """A date within the plausible range around the clinic's today.

    ``future_allowed=False`` for what has already happened (a period start, a harvest);
    ``recent=False`` for a date that may lie decades back (a date of birth): then only the
    absolute range applies, and the future rule. The form sets ``today``
    (``ClinicDatesMixin``); without one the field reads today in the current time zone,
    which ``ClinicMiddleware`` sets to the clinic's for every request.
    """

    widget = DateInput

    def __init__(self, *, future_allowed: bool = True, recent: bool = True, **kwargs) -> None:
        self.future_allowed = future_allowed
        self.recent = recent
        self.today: dt.date | None = None
        super().__init__(**kwargs)

    def clinic_today(self) -> dt.date:
        return self.today or timezone.localdate()

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        if value is None:
            return
        what = str(self.label or "The date")
        today = self.clinic_today()
        try:
            dates.check_absolute(value, what)
            if self.recent:
                dates.check_plausible(value, today, what, future_allowed=self.future_allowed)
            elif not self.future_allowed and value > today:
                raise dates.DateOutOfRange(f"{what} ({value.isoformat()}) cannot be in the future.")
        except dates.DateOutOfRange as refusal:
            raise forms.ValidationError(str(refusal), code="date_out_of_range") from None


class ClinicDatesMixin:
    """Pass ``today=`` (the clinic's) to the form; its ClinicDateFields measure from it."""

    def __init__(self, *args, today: dt.date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, ClinicDateField):
                field.today = today


def save_unique(
    form: forms.BaseForm,
    save: Callable[[], T],
    *,
    duplicate: QuerySet,
    field: str,
    message: str,
) -> T | None:
    """Run ``save`` in a savepoint; when the database refuses it and ``duplicate`` now finds
    the clashing row (another request won the race past the form's own check), put
    ``message`` on ``field`` and return None. Any other refusal is raised."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        if not duplicate.exists():
            raise
        form.add_error(field, message)
        return None
