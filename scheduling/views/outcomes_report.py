"""The outcomes report for physicians and clinic admins, and its de-identified CSV export."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET

from scheduling import audit, policy
from scheduling.forms.outcomes_report import OutcomesFilterForm
from scheduling.reports import disclosure
from scheduling.reports.cohort import (
    CLINICAL_PREGNANCY,
    ECTOPIC,
    LIVE_BIRTH,
    MISCARRIAGE,
    TEST,
    CourseRecord,
)
from scheduling.reports.evidence import CAVEAT, SOURCE_TEXT
from scheduling.selectors.outcomes_report import SOURCE_LABELS, cached_report, outcomes_report

EXPORT_COLUMNS = [
    "course", "source", "route", "diagnosis", "asherman_severity", "age_band", "status",
    "infusions_given", "baseline_mm", "response_mm", "reached_threshold",
    "thickness_days_mm", "transfers", "days_first_infusion_to_transfer",
    "pregnancy_test_positive", "clinical_pregnancy", "miscarriage", "ectopic", "live_birth",
    "lost_to_follow_up",
]  # fmt: skip


def _filtered(request, read=cached_report):
    form = OutcomesFilterForm(request.GET or None, clinic=request.clinic)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, read(clinic=request.clinic, flt=form.report_filter())


@require_GET
def outcomes_page(request):
    policy.require(request, policy.Action.VIEW_OUTCOMES)
    form, report = _filtered(request)
    context = {"form": form, "report": report, "caveat": CAVEAT, "source_text": SOURCE_TEXT}
    if report is None:
        return render(request, "scheduling/outcomes_report.html", context, status=400)
    figures = report.figures
    by_source = disclosure.by_source(figures, SOURCE_LABELS, public=False)
    context |= {
        "sections": disclosure.sections(figures, public=False),
        "by_source": by_source,
        "evidence": disclosure.evidence_rows(figures, public=False),
        "can_export": policy.allowed(request, policy.Action.EXPORT_OUTCOMES),
        "public_url": reverse("disclosure", args=[request.clinic.slug])
        if request.clinic.disclosure_public
        else "",
        "chart_data": {
            "curves": report.curves,
            "threshold": figures.threshold_mm,
            "sources": [
                {
                    "label": row.label,
                    "numerator": figures.by_source[row.key].numerator,
                    "denominator": figures.by_source[row.key].denominator,
                    "shown": row.value != disclosure.DASH,
                    "low": figures.by_source[row.key].low,
                    "high": figures.by_source[row.key].high,
                }
                for row in by_source
            ],
        },
    }
    return render(request, "scheduling/outcomes_report.html", context)


@require_GET
def outcomes_export(request):
    """One row per course started in the period (the page's filters), de-identified."""
    policy.require(request, policy.Action.EXPORT_OUTCOMES)
    form, report = _filtered(request, read=outcomes_report)
    if report is None:
        return render(
            request,
            "scheduling/outcomes_report.html",
            {"form": form, "report": None, "caveat": CAVEAT, "source_text": SOURCE_TEXT},
            status=400,
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for record in report.records:
        writer.writerow(export_row(record, request.clinic.pk, report.figures.threshold_mm))
    flt = report.filter
    audit.record_export(
        request,
        what="outcomes-export",
        details={
            "rows": len(report.records),
            "since": flt.since.isoformat(),
            "until": flt.until.isoformat(),
            "filters": {
                k: v
                for k, v in (
                    ("source", flt.source),
                    ("route", flt.route),
                    ("diagnosis", flt.diagnosis),
                    ("infusions", flt.infusions),
                )
                if v not in ("", None)
            },
        },
    )
    stamp = timezone.localdate(timezone=request.clinic.zone).strftime("%Y%m%d")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="outcomes-{stamp}.csv"'
    return response


def pseudonym(clinic_id: int, course_id: int) -> str:
    """A course id for the export that is not the database id: keyed with the site's secret,
    the same for the same course in every export (so registries can follow it up)."""
    digest = salted_hmac("endoplan.outcomes-export", f"{clinic_id}:{course_id}").hexdigest()
    return f"C{digest[:12]}"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def export_row(record: CourseRecord, clinic_id: int, threshold_mm: float) -> list:
    transfers = record.transfers()
    first = record.first_infusion
    tests = [e.positive for e in record.events if e.kind == TEST]
    response = record.response_mm
    return [
        pseudonym(clinic_id, record.key),
        record.source,
        record.route,
        record.diagnosis,
        record.severity,
        record.age_band,
        record.status,
        len(record.infusions),
        "" if record.baseline is None else f"{record.baseline:.1f}",
        "" if response is None else f"{response:.1f}",
        "" if response is None else _yes_no(response >= threshold_mm),
        ";".join(f"{day}:{mm:.1f}" for day, mm in record.series()),
        len(transfers),
        "" if not transfers or first is None else (transfers[0] - first).days,
        _yes_no(any(tests)) if tests else "",
        _yes_no(record.has(CLINICAL_PREGNANCY)),
        _yes_no(record.has(MISCARRIAGE)),
        _yes_no(record.has(ECTOPIC)),
        _yes_no(record.has(LIVE_BIRTH)),
        _yes_no(record.status == "lost-to-follow-up"),
    ]
