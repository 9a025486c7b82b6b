"""The outcome pages: who may record what, and the patient page showing it."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from scheduling.models import CourseStatus, OutcomeKind


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_coordinator_records_the_transfer_and_a_physician_the_test(
    course, coordinator_a, physician_a
):
    coordinator, physician = signed_in(coordinator_a), signed_in(physician_a)
    transfer = reverse("course-transfer", args=[course.pk])
    data = {"on": "2026-02-23", "embryos": "1", "embryo_stage": "blastocyst",
            "transfer_type": "frozen"}  # fmt: skip
    assert physician.post(transfer, data).status_code == 403
    assert coordinator.post(transfer, data).status_code == 302
    outcome = reverse("course-outcome", args=[course.pk])
    test = {"kind": "pregnancy-test", "on": "2026-02-24", "beta_hcg": "180", "positive": "yes"}
    assert coordinator.post(outcome, test).status_code == 403
    assert physician.post(outcome, test).status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.PREGNANT
    page = physician.get(reverse("patient-detail", args=[course.patient_id]))
    html = page.content.decode()
    assert 'data-testid="outcome-transfer"' in html and "β-hCG 180.0 IU/L, positive" in html
    assert "Pregnant" in html


def test_a_missing_field_is_shown_on_the_form(course, coordinator_a, physician_a):
    signed_in(coordinator_a).post(
        reverse("course-transfer", args=[course.pk]),
        {"on": "2026-02-23", "embryos": "2", "embryo_stage": "cleavage", "transfer_type": "fresh"},
    )
    response = signed_in(physician_a).post(
        reverse("course-outcome", args=[course.pk]),
        {"kind": "clinical-pregnancy", "on": "2026-02-24", "heartbeat": "yes"},
    )
    assert response.status_code == 422
    assert "Required for this outcome." in response.content.decode()
    assert not course.outcomes.filter(kind=OutcomeKind.CLINICAL_PREGNANCY).exists()


def test_closing_and_reopening_from_the_page(course, coordinator_a):
    client = signed_in(coordinator_a)
    response = client.post(
        reverse("course-close", args=[course.pk]), {"status": "cancelled", "reason": ""}
    )
    assert response.status_code == 422  # the clinic says why
    client.post(reverse("course-close", args=[course.pk]), {"status": "withdrawn"})
    course.refresh_from_db()
    assert (course.status, course.closed_on) == (CourseStatus.WITHDRAWN, dt.date(2026, 2, 25))
    html = client.get(reverse("patient-detail", args=[course.patient_id])).content.decode()
    assert 'data-testid="reopen-course"' in html
    client.post(reverse("course-reopen", args=[course.pk]))
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
