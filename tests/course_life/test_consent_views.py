"""The consent pages: recording a signed form (with its document), the download that only the
clinic's staff get, the withdrawal, the refusal a booking without consent shows, the patient
form's legacy consent fields and the clinic's follow-ups-in-pregnancy setting."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from scheduling.forms.clinic_admin import ClinicSettingsForm
from scheduling.models import (
    AppointmentStatus,
    AuditAction,
    AuditEvent,
    CourseStatus,
    Patient,
    ReplanRun,
)
from tests import factories

PDF = b"%PDF-1.4\n%signed consent\n%%EOF\n"


@pytest.fixture(autouse=True)
def _own_private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def consent_data(**extra):
    return {
        "form_version": "2026-02",
        "signed_on": "2026-02-20",
        "witnessed_by": "Nurse Wu",
    } | extra


@pytest.fixture
def unsigned(course):
    course.consents.all().delete()
    return course


def test_a_coordinator_records_consent_with_its_document_and_the_page_lists_it(
    unsigned, coordinator_a
):
    client = signed_in(coordinator_a)
    url = reverse("consent-record", args=[unsigned.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    upload = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = client.post(url, consent_data(document=upload))
    assert response.status_code == 302
    row = unsigned.consents.get()
    assert row.recorded_by == coordinator_a and row.document
    assert Path(row.document.path).is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))

    html = client.get(reverse("patient-detail", args=[unsigned.patient_id])).content.decode()
    assert "Form <strong>2026-02</strong> signed Fri 20 Feb 2026, witnessed by Nurse Wu" in html
    assert f"recorded by {coordinator_a}" in html
    assert reverse("consent-document", args=[row.pk]) in html
    assert 'data-testid="consent-missing"' not in html


def test_a_bad_document_is_refused_on_the_form_and_nothing_is_kept(unsigned, coordinator_a):
    client = signed_in(coordinator_a)
    upload = SimpleUploadedFile(
        "scan.pdf", b"<svg onload=alert(1)>", content_type="application/pdf"
    )
    response = client.post(
        reverse("consent-record", args=[unsigned.pk]), consent_data(document=upload)
    )
    assert response.status_code == 422
    assert "must be a PDF, PNG or JPEG file" in response.content.decode()
    assert not unsigned.consents.exists()


def test_missing_fields_are_named_on_the_form(unsigned, coordinator_a):
    response = signed_in(coordinator_a).post(
        reverse("consent-record", args=[unsigned.pk]), {"form_version": "v1"}
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"signed_on", "witnessed_by"}


@pytest.fixture
def with_document(course):
    row = course.consents.get()
    row.document.save("consent-x.pdf", SimpleUploadedFile("x.pdf", PDF), save=True)
    return row


def test_the_document_is_a_download_for_the_clinics_staff_only(
    with_document, coordinator_a, physician_a, lab_a, coordinator_b, client
):
    url = reverse("consent-document", args=[with_document.pk])
    for user in (coordinator_a, physician_a):
        response = signed_in(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == PDF
    assert signed_in(lab_a).get(url).status_code == 403
    assert signed_in(coordinator_b).get(url).status_code == 404  # another clinic: not found
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    downloads = AuditEvent.objects.filter(
        object_type="courseconsent", object_id=str(with_document.pk), action=AuditAction.VIEW
    )
    assert downloads.count() == 2
    assert {event.actor_id for event in downloads} == {coordinator_a.pk, physician_a.pk}


def test_a_consent_without_a_document_or_a_lost_file_is_not_found(course, coordinator_a):
    row = course.consents.get()
    client = signed_in(coordinator_a)
    assert client.get(reverse("consent-document", args=[row.pk])).status_code == 404
    row.document.name = "consent/1/1/consent-gone.pdf"
    row.save(update_fields=["document"])
    assert client.get(reverse("consent-document", args=[row.pk])).status_code == 404


def test_the_document_is_not_under_any_public_url(with_document, client):
    for url in (f"/static/{with_document.document.name}", f"/media/{with_document.document.name}",
                f"/{with_document.document.name}"):  # fmt: skip
        assert client.get(url).status_code in (302, 404)


def test_booking_without_consent_says_what_is_missing(unsigned, coordinator_a, physician_a):
    factories.RoomFactory(clinic=unsigned.clinic)
    infusion = unsigned.appointments.get(step_key="infusion-1", status="tentative")
    client = signed_in(coordinator_a)
    url = reverse("appointment-book", args=[infusion.pk])
    html = client.get(url).content.decode()
    assert (
        "No consent is recorded for this course: record the signed consent form (version, "
        "date, witness) before booking the infusion." in html
    )
    record = reverse("consent-record", args=[unsigned.pk])
    assert f"{record}?next=" in html
    response = client.post(f"{record}?next={url}", consent_data())
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    assert 'data-testid="consent-missing"' not in page.content.decode()
    slot = page.context["form"].fields["slot"].choices[0][1][0][0]
    room = page.context["form"].fields["room"].queryset.first()
    booked = client.post(url, {"slot": slot, "room": room.pk, "clinician": physician_a.pk})
    assert booked.status_code == 302
    infusion.refresh_from_db()
    assert infusion.status == AppointmentStatus.BOOKED


def test_a_withdrawal_on_the_page_closes_the_course(course, coordinator_a, physician_a):
    url = reverse("consent-withdraw", args=[course.pk])
    assert signed_in(physician_a).post(url, {"on": "2026-02-25"}).status_code == 403
    response = signed_in(coordinator_a).post(url, {"on": "2026-02-25", "reason": "Changed mind"})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.WITHDRAWN
    html = signed_in(coordinator_a).get(reverse("patient-detail", args=[course.patient_id]))
    assert "Withdrawn on Wed 25 Feb 2026: Changed mind" in html.content.decode()


def test_the_patient_form_no_longer_takes_consent_and_shows_the_old_one(patient_a, coordinator_a):
    Patient.objects.filter(pk=patient_a.pk).update(
        consent_version="2025-09", consent_date=dt.date(2025, 9, 1)
    )
    client = signed_in(coordinator_a)
    form = client.get(reverse("patient-edit", args=[patient_a.pk])).context["form"]
    assert "consent_version" not in form.fields and "consent_date" not in form.fields
    html = client.get(reverse("patient-detail", args=[patient_a.pk])).content.decode()
    assert "Consent before per-course consent" in html and "2025-09" in html


def _settings_data(clinic, **changes):
    form = ClinicSettingsForm(instance=clinic, prefix="settings")
    data = {"form": "settings"}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[f"settings-{name}"] = "on"
            continue
        formatted = field.widget.format_value(value) if value is not None else ""
        data[f"settings-{name}"] = formatted if formatted is not None else ""
    data.update({f"settings-{name}": value for name, value in changes.items()})
    return data


def test_the_clinic_chooses_what_a_pregnancy_does_to_the_follow_ups(clinic_a, admin_a, course):
    assert clinic_a.follow_ups_in_pregnancy == "hold"
    client = signed_in(admin_a)
    response = client.post(
        reverse("clinic-settings"), _settings_data(clinic_a, follow_ups_in_pregnancy="drop")
    )
    assert response.status_code == 302, response.context["forms"]["settings"].errors
    clinic_a.refresh_from_db()
    assert clinic_a.follow_ups_in_pregnancy == "drop"
    assert ReplanRun.objects.filter(clinic=clinic_a).exists()  # the settings path re-plans
    bad = client.post(
        reverse("clinic-settings"), _settings_data(clinic_a, follow_ups_in_pregnancy="sometimes")
    )
    assert bad.status_code == 422
