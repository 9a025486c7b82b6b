"""axe-core on every page, in a desktop and a narrow (phone) viewport, over the demo clinic.

One test per viewport visits the staff pages (every calendar view included), the pages a
patient opens from an email and the sign-in page, and lists every serious or critical
violation it found, page by page. Pages other work adds later join through `optional_pages`
as soon as their URL names resolve.
"""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from scheduling import links
from scheduling.demo import DEMO_SLUG, load_demo
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    CellBatch,
    Clinic,
    DonorLot,
    Membership,
    Patient,
    Role,
)
from tests.workspace.conftest import AXE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1280, 800), "narrow": (390, 844)}
CALENDAR_VIEWS = ("dayGridMonth", "timeGridWeek", "timeGridDay", "listWeek")


def serious_violations(page) -> list[str]:
    # No transition half-way through (Bootstrap honours reduced motion): colours are final.
    page.emulate_media(reduced_motion="reduce")
    # Evaluated through the DevTools protocol: the strict CSP refuses an added <script> tag.
    page.evaluate(AXE.read_text() + "\n;void 0")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}; "
        + "; ".join(node["html"][:120] for node in violation["nodes"][:4])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def optional_pages(clinic: Clinic, patient: Patient) -> list[tuple[str, str]]:
    """Pages that other work of this release adds: included when their URL names exist."""
    course = patient.courses.order_by("pk").first()
    candidates = [
        ("consent", "consent-record", [course.pk]),
        ("consent withdrawal", "consent-withdraw", [course.pk]),
        ("donor lots", "lot-list", []),
        ("outcomes report", "outcomes-report", []),
        ("public disclosure report", "disclosure", [clinic.slug]),
    ]
    lot = DonorLot.objects.filter(clinic=clinic).order_by("pk").first()
    if lot is not None:
        candidates.append(("donor lot", "lot-detail", [lot.pk]))
    pages = []
    for name, url_name, args in candidates:
        try:
            pages.append((name, reverse(url_name, args=args)))
        except NoReverseMatch:
            continue
    return pages


def staff_pages(clinic: Clinic) -> list[tuple[str, str]]:
    today = timezone.localdate(timezone=clinic.zone)
    patient = Patient.objects.filter(clinic=clinic, courses__isnull=False).order_by("pk").first()
    tentative = (
        Appointment.objects.filter(clinic=clinic, status=AppointmentStatus.TENTATIVE)
        .order_by("starts_at")
        .first()
    )
    batch = CellBatch.objects.filter(clinic=clinic).order_by("pk").first()
    member = Membership.objects.filter(clinic=clinic, role=Role.COORDINATOR).first()
    pages = [("today", "/")]
    pages += [
        (f"calendar {view}", f"/calendar/?view={view}&date={today}") for view in CALENDAR_VIEWS
    ]
    pages += [
        ("patients", reverse("patient-list")),
        ("patient page", reverse("patient-detail", args=[patient.pk])),
        ("new patient", reverse("patient-create")),
        ("booking", reverse("appointment-book", args=[tentative.pk])),
        ("clinic admin", reverse("clinic-settings")),
        ("iCalendar feeds", reverse("feed-list")),
        ("audit log", reverse("audit-log")),
        ("lab batches", reverse("batch-list")),
        ("batch", reverse("batch-detail", args=[batch.pk])),
        ("password change", reverse("password_change")),
        ("deactivate a staff member", reverse("membership-active", args=[member.pk])),
    ]
    return pages + optional_pages(clinic, patient) + form_pages(clinic, patient)


def form_pages(clinic: Clinic, patient: Patient) -> list[tuple[str, str]]:
    """The pages behind the patient page's and the calendar's buttons (a clinic admin may open
    each; one that another role owns answers 403 and is left out, not reported)."""
    course = patient.courses.order_by("pk").first()
    booked = (
        Appointment.objects.filter(clinic=clinic, status=AppointmentStatus.BOOKED)
        .filter(starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    candidates = [
        ("edit patient", "patient-edit", [patient.pk]),
        ("new course", "course-create", [patient.pk]),
        ("edit course", "course-edit", [course.pk]),
        ("period start", "period-start", [patient.pk]),
        ("harvest done", "harvest-done", [course.pk]),
        ("cancel a visit", "appointment-cancel", [booked.pk]),
        ("no-show", "appointment-no-show", [booked.pk]),
        ("transfer", "course-transfer", [course.pk]),
        ("close course", "course-close", [course.pk]),
        ("dose allocation", "dose-allocate", [course.pk]),
    ]
    pages = []
    for name, url_name, args in candidates:
        try:
            pages.append((f"form: {name}", reverse(url_name, args=args)))
        except NoReverseMatch:
            continue
    return pages


def patient_link_pages(clinic: Clinic) -> list[tuple[str, str]]:
    booked = (
        Appointment.objects.filter(
            clinic=clinic, status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now()
        )
        .exclude(rebooking_reason__gt="")
        .order_by("starts_at")
        .first()
    )
    patient = booked.patient

    def local(url: str) -> str:
        return url.removeprefix(links.settings.SITE_URL)

    return [
        ("confirm link", local(links.appointment_url(links.Purpose.CONFIRM, booked))),
        ("reschedule link", local(links.appointment_url(links.Purpose.RESCHEDULE, booked))),
        ("period link", local(links.period_url(patient))),
        ("broken link", "/p/confirm/not-a-token/"),
        ("staff invitation, expired", reverse("staff-invitation", args=["MQ", "expired"])),
    ]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_no_serious_or_critical_violation_on_any_page(
    viewport, page, live_server, staff_client, settings
):
    load_demo(password="demo-password-2026")
    clinic = Clinic.objects.get(slug=DEMO_SLUG)
    Clinic.objects.filter(pk=clinic.pk).update(disclosure_public=True)  # its public report
    admin = Membership.objects.get(clinic=clinic, role=Role.ADMIN).user
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    found: dict[str, list[str]] = {}
    visited = []

    settings.DEBUG = True  # the sign-in page then lists the demo logins too
    page.goto("/login/")
    found["sign-in"] = serious_violations(page)
    settings.DEBUG = False
    for name, url in patient_link_pages(clinic):
        page.goto(url)
        found[name] = serious_violations(page)
        visited.append(name)
        if name == "confirm link":  # confirmed, then the same link again
            page.get_by_role("button", name="Yes, I will come").click()
            found["confirmed"] = serious_violations(page)
            page.goto(url)
            page.get_by_test_id("already-confirmed").wait_for()
            found["already confirmed"] = serious_violations(page)
            visited += ["confirmed", "already confirmed"]

    login(page, live_server, staff_client, admin)
    for name, url in staff_pages(clinic):
        response = page.goto(url)
        if name.startswith("form: ") and response is not None and response.status in (403, 405):
            continue  # a form this role does not open, or one without a page of its own
        if response is None or response.status >= 400:
            found[name] = [f"{url} answered {response.status if response else 'nothing'}"]
            continue
        if name.startswith("calendar "):
            page.locator(".fc-toolbar-title").wait_for()
            page.wait_for_load_state("networkidle")
        found[name] = serious_violations(page)
        visited.append(name)

    print(f"\n{viewport}: {len(visited) + 1} pages checked: sign-in, {', '.join(visited)}")
    problems = {name: items for name, items in found.items() if items}
    assert not problems, "\n".join(
        f"[{viewport}] {name}:\n  " + "\n  ".join(items) for name, items in problems.items()
    )
