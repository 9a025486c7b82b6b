"""The public disclosure report: the clinic's outcomes, de-identified, beside the published
evidence, at /disclosure/<clinic slug>/ (HTML) and .../report.pdf, once the clinic admin
publishes it (``Clinic.disclosure_public``); otherwise both are "not found"."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET
from xhtml2pdf import pisa

from scheduling.models import Clinic
from scheduling.reports import disclosure
from scheduling.reports.evidence import CAVEAT, SOURCE_TEXT
from scheduling.selectors.outcomes_report import (
    SOURCE_LABELS,
    ReportFilter,
    cached_report,
    default_period,
)


def _context(slug: str) -> dict:
    clinic = get_object_or_404(Clinic, slug=slug, disclosure_public=True)
    since, until = default_period(clinic)
    report = cached_report(clinic=clinic, flt=ReportFilter(since, until))
    figures = report.figures
    return {
        "clinic": clinic,
        "since": since,
        "until": until,
        "generated": timezone.localdate(timezone=clinic.zone),
        "sections": disclosure.sections(figures, public=True),
        "by_source": disclosure.by_source(figures, SOURCE_LABELS, public=True),
        "evidence": disclosure.evidence_rows(figures, public=True),
        "threshold": figures.threshold_mm,
        "caveat": CAVEAT,
        "source_text": SOURCE_TEXT,
    }


@login_not_required
@require_GET
def disclosure_page(request, slug: str):
    return render(request, "disclosure/report.html", _context(slug))


@login_not_required
@require_GET
def disclosure_pdf(request, slug: str):
    context = _context(slug)
    html = render_to_string("disclosure/report_pdf.html", context)
    pdf = pisa.CreatePDF(html, dest_bytes=True)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"outcomes-{context['clinic'].slug}-{context['generated']:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
