"""Who sees the outcomes page and the export, the public report's switch, and what the
de-identified export holds (and does not)."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from scheduling.models import AuditEvent
from tests import factories
from tests.outcomes_report.helpers import PREGNANT_AND_BORN, treated_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_b(clinic_b):
    return factories.MembershipFactory(
        clinic=clinic_b, role="admin", user=factories.UserFactory(username="admin-b")
    ).user


def test_physicians_and_admins_see_the_page_coordinators_and_lab_do_not(
    staff_client, physician_a, admin_a, coordinator_a, lab_a
):
    url = reverse("outcomes-report")
    assert staff_client(physician_a).get(url).status_code == 200
    assert staff_client(admin_a).get(url).status_code == 200
    assert staff_client(coordinator_a).get(url).status_code == 403
    assert staff_client(lab_a).get(url).status_code == 403


def test_only_admins_export(staff_client, physician_a, admin_a, coordinator_a, lab_a):
    url = reverse("outcomes-export")
    assert staff_client(admin_a).get(url).status_code == 200
    for user in (physician_a, coordinator_a, lab_a):
        assert staff_client(user).get(url).status_code == 403
    page = staff_client(physician_a).get(reverse("outcomes-report")).content
    assert reverse("outcomes-export").encode() not in page


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for name in ("outcomes-report", "outcomes-export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_another_clinic_sees_only_its_own_courses(clinic_a, clinic_b, staff_client, lab_b):
    treated_course(clinic_a, first_name="Zenobia", last_name="Quarrington")
    response = staff_client(lab_b).get(reverse("outcomes-export"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1  # the header: clinic A's course is not B's
    page = staff_client(lab_b).get(reverse("outcomes-report"))
    assert b'data-figure="courses_started"' in page.content
    assert 'Courses started in the period</th><td class="fw-semibold" data-testid="value">0<' in (
        page.content.decode()
    )


def test_a_bad_period_is_a_message_not_an_error(staff_client, admin_a):
    response = staff_client(admin_a).get(
        reverse("outcomes-report"), {"since": "2026-05-01", "until": "2026-01-01"}
    )
    assert response.status_code == 400
    assert b"must end on or after its first day" in response.content
    response = staff_client(admin_a).get(reverse("outcomes-report"), {"since": "soon"})
    assert response.status_code == 400


def test_the_public_report_is_not_found_until_published(client, clinic_a):
    treated_course(clinic_a)
    html = reverse("disclosure", args=[clinic_a.slug])
    pdf = reverse("disclosure-pdf", args=[clinic_a.slug])
    assert client.get(html).status_code == 404
    assert client.get(pdf).status_code == 404
    assert client.get(reverse("disclosure", args=["no-such-clinic"])).status_code == 404
    clinic_a.disclosure_public = True
    clinic_a.lab_name = "Riverside Cell Lab"
    clinic_a.lab_cgmp_status = "certified"
    clinic_a.save()
    page = client.get(html)
    assert page.status_code == 200
    assert b"Riverside Cell Lab (cGMP-certified facility)" in page.content
    response = client.get(pdf)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_export_is_de_identified_and_audited(clinic_a, admin_a, staff_client):
    patients = []
    for n in range(3):
        course = treated_course(
            clinic_a,
            first_name=f"Philippa{n}",
            last_name=f"Fortescue{n}",
            email=f"philippa{n}@mail.example",
            date_of_birth=dt.date(1980 + n, 4, 10 + n),
            outcomes=PREGNANT_AND_BORN,
        )
        patients.append((course, course.patient))
    response = staff_client(admin_a).get(reverse("outcomes-export"))
    assert response.status_code == 200
    text = response.content.decode()
    for course, patient in patients:
        for secret in (
            patient.first_name,
            patient.last_name,
            patient.mrn,
            patient.email,
            str(patient.date_of_birth),
            patient.date_of_birth.strftime("%d/%m/%Y"),
        ):
            assert secret not in text
        first_infusion = course.appointments.filter(kind="infusion").first().starts_at.date()
        assert str(first_infusion) not in text  # no dates of events: days from the infusion
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert {row["course"] for row in rows}.isdisjoint({str(c.pk) for c, _ in patients})
    row = rows[0]
    assert row["thickness_days_mm"] == "30:8.0"
    assert row["age_band"] in {"40-44", "45-49"}
    assert row["live_birth"] == "yes"
    assert row["days_first_infusion_to_transfer"] == "100"
    event = AuditEvent.objects.get(object_type="outcomes-export")
    assert event.actor == admin_a
    assert event.clinic_id == clinic_a.pk
    assert event.changes["rows"] == 3


def _settings_data(clinic, **changes):
    from scheduling.forms.clinic_admin import ClinicSettingsForm

    form = ClinicSettingsForm(instance=clinic, prefix="settings")
    data = {"form": "settings"}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[f"settings-{name}"] = "on"
            continue
        formatted = field.widget.format_value(value) if value is not None else ""
        if isinstance(formatted, list):  # a select's value
            formatted = formatted[0] if formatted else ""
        data[f"settings-{name}"] = formatted if formatted is not None else ""
        if field.show_hidden_initial:  # as the page renders it (a field with a callable default)
            data[f"initial-settings-{name}"] = data[f"settings-{name}"]
    data.update({f"settings-{name}": value for name, value in changes.items()})
    return data


def test_the_admin_publishes_the_report_from_the_clinic_settings(
    client, clinic_a, admin_a, staff_client
):
    from scheduling.models import ReplanRun

    admin = staff_client(admin_a)
    page = admin.get(reverse("clinic-settings")).content.decode()
    assert "not published" in page and f"/disclosure/{clinic_a.slug}/" in page
    response = admin.post(
        reverse("clinic-settings"),
        _settings_data(
            clinic_a,
            lab_name="Riverside Cell Lab",
            lab_cgmp_status="compliant",
            disclosure_public="on",
        ),
    )
    assert response.status_code == 302, response.context["forms"]["settings"].errors
    clinic_a.refresh_from_db()
    assert clinic_a.disclosure_public
    assert (clinic_a.lab_name, clinic_a.lab_cgmp_status) == ("Riverside Cell Lab", "compliant")
    assert not ReplanRun.objects.filter(clinic=clinic_a).exists()  # nothing the planner reads
    public = client.get(reverse("disclosure", args=[clinic_a.slug]))
    assert public.status_code == 200
    assert b"Operates to cGMP, not certified" in public.content
