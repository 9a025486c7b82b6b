"""The audit log for clinic admins: read it on a page, export it as CSV. Nobody edits it."""

import csv
import datetime as dt
import json

from django import forms
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from scheduling import policy
from scheduling.history import entries as history_entries
from scheduling.models import AuditAction
from scheduling.selectors.audit import clinic_log

OBJECT_TYPES = [
    ("", "Any record"),
    ("patient", "Patient"),
    ("course", "Course"),
    ("cellbatch", "Cell batch"),
    ("appointment", "Appointment"),
    ("reminder", "Reminder"),
    ("membership", "Staff membership"),
    ("periodstart", "Reported period"),
    ("thicknessmeasurement", "Thickness result"),
]


# A page holds whole acts as a rule: a re-plan writes dozens of events at once.
EVENTS_PER_PAGE = 200


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    object_type = forms.ChoiceField(label="Record", choices=OBJECT_TYPES, required=False)
    actor = forms.CharField(label="Who", max_length=150, required=False)
    patient_id = forms.IntegerField(label="Patient id", min_value=1, required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _events(request):
    policy.require(request, policy.Action.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    filters = form.cleaned_data if request.GET else {}
    return form, clinic_log(clinic=request.clinic, **{k: v for k, v in filters.items() if v})


@require_GET
def audit_log(request):
    form, events = _events(request)
    if events is None:
        return render(request, "audit/log.html", {"form": form, "page": None}, status=400)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    entries = history_entries(page.object_list, clinic=request.clinic)
    return render(request, "audit/log.html", {"form": form, "page": page, "entries": entries})


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
def audit_export(request):
    _form, events = _events(request)
    if events is None:
        raise BadRequest("Invalid filter.")
    writer = csv.writer(_Echo())
    header = ["at (UTC)", "who", "action", "record", "record id", "patient id", "ip", "changes"]

    def rows():
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    _cell(event.at.astimezone(dt.UTC).isoformat()),
                    _cell(event.actor_label),
                    _cell(event.action),
                    _cell(event.object_type),
                    _cell(event.object_id),
                    _cell(event.patient_id),
                    _cell(event.ip_address),
                    _cell(json.dumps(event.changes, sort_keys=True, default=str)),
                ]
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
