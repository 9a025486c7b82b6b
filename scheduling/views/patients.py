"""The patient list, the patient page, and creating or editing a patient."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from scheduling import audit, policy
from scheduling.forms.patients import PatientForm, PatientSearchForm
from scheduling.forms.recording import PeriodStartForm
from scheduling.history import entries as history_entries
from scheduling.models import AuditAction, Patient
from scheduling.selectors import messaging
from scheduling.selectors import patients as selectors
from scheduling.selectors.audit import history_for
from scheduling.services.enrolment import patient_save

PAGE_SIZE = 50


SEARCH_SESSION_KEY = "patient_search"


@require_http_methods(["GET", "POST"])
def patient_list(request):
    """The search is posted and kept in the session, never in a URL: names, MRNs and emails
    would otherwise land in access logs, browser history and Referer headers. A search is
    posted, then the list is shown by GET (post/redirect/get), paged with ``?page=`` only."""
    policy.require(request, policy.Action.VIEW_PATIENTS)
    if request.method == "POST":
        search = PatientSearchForm(request.POST)
        if search.is_valid():
            request.session[SEARCH_SESSION_KEY] = search.cleaned_data
            return redirect("patient-list")
    else:
        search = PatientSearchForm(request.session.get(SEARCH_SESSION_KEY) or None)
    q = stage = ""
    if search.is_valid():
        q, stage = search.cleaned_data["q"], search.cleaned_data["stage"]
    page = Paginator(selectors.patient_search(clinic=request.clinic, q=q, stage=stage), PAGE_SIZE)
    return render(
        request,
        "scheduling/patient_list.html",
        {
            "search": search,
            "page": page.get_page(request.GET.get("page")),
            "can_edit": policy.allowed(request, policy.Action.EDIT_PATIENTS),
        },
        status=422 if search.errors else 200,
    )


# Events read for the page: a re-plan writes dozens at once, shown as one entry.
HISTORY_EVENTS = 400
MESSAGE_ROWS = 30


def history(obj) -> list:
    """A patient's (or a batch's) history in words; openings of a record are in the audit
    log, not here."""
    events = history_for(obj).exclude(action=AuditAction.VIEW)[:HISTORY_EVENTS]
    return history_entries(events, clinic=obj.clinic)


def _messaging(patient: Patient) -> tuple[list, list]:
    return (
        list(messaging.reminders_for_patient(patient)[:MESSAGE_ROWS]),
        list(messaging.emails_for_patient(patient)[:MESSAGE_ROWS]),
    )


@require_GET
def patient_detail(request, pk: int):
    patient = policy.get_for(
        request, Patient.objects.select_related("clinic"), policy.Action.VIEW_PATIENTS, pk=pk
    )
    audit.record_view(request, patient)
    reminders, emails = _messaging(patient)
    return render(
        request,
        "scheduling/patient_detail.html",
        {
            "patient": patient,
            "courses": selectors.course_views(patient),
            "cycle_history": selectors.cycle_history(patient),
            "appointments": patient.appointments.select_related("room", "clinician"),
            "period_starts": patient.period_starts.all(),
            "reminders": reminders,
            "emails": emails,
            "history": history(patient),
            "reschedule_requests": selectors.open_reschedule_requests(patient),
            "period_form": PeriodStartForm(),
            "can_edit": policy.allowed(request, policy.Action.EDIT_PATIENTS),
            "can_book": policy.allowed(request, policy.Action.BOOK),
            "can_record": policy.allowed(request, policy.Action.RECORD_RESULTS),
        },
    )


@require_http_methods(["GET", "POST"])
def patient_edit(request, pk: int | None = None):
    patient = None
    if pk is not None:
        patient = policy.get_for(request, Patient.objects.all(), policy.Action.EDIT_PATIENTS, pk=pk)
    else:
        policy.require(request, policy.Action.EDIT_PATIENTS)
    form = PatientForm(request.POST or None, instance=patient, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            saved = patient_save(patient=form.save(commit=False))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{saved.full_name} saved.")
            return redirect("patient-detail", pk=saved.pk)
    return render(
        request,
        "scheduling/form_page.html",
        {
            "form": form,
            "title": f"Edit {patient.full_name}" if patient else "New patient",
            "submit": "Save patient",
            "testid": "patient-form",
        },
        status=422 if form.errors else 200,
    )


def _add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
