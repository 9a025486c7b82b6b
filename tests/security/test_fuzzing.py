"""Hostile input at every form, the calendar's JSON endpoints and the patient links.

Every request must be answered below 500, and a refused one must not have written anything
(tests/security/fuzzing.py); dates come from the whole calendar (year 1 to 9999). After the
fuzzing the patient's page still opens. Accepted text is shown escaped, never as markup.
These run in the PostgreSQL pass too, where a NUL or an overflow reaches a stricter driver.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scheduling import links
from scheduling.forms.clinic_admin import ClosedDateForm, RoomForm
from scheduling.forms.courses import CourseForm
from scheduling.forms.patients import PatientForm, PatientSearchForm
from scheduling.forms.recording import BatchReleaseForm, HarvestDoneForm, PeriodStartForm
from scheduling.views.audit import AuditFilterForm
from tests import factories
from tests.security.fuzzing import (
    assert_rejects_cleanly,
    form_data,
    hostile_dates,
    hostile_datetimes,
    hostile_text,
    json_values,
)
from tests.workspace.conftest import infusion

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def coordinator_client(coordinator_a):
    client = Client()
    client.force_login(coordinator_a)
    return client


@pytest.fixture
def appointment_a(patient_a):
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)
    return factories.AppointmentFactory(
        patient=patient_a, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30)
    )


@fuzz
@given(username=hostile_text, password=hostile_text)
def test_login_form(client, coordinator_a, username, password):
    assert_rejects_cleanly(
        client, "post", reverse("login"), {"username": username, "password": password}
    )


@fuzz
@given(data=form_data(PatientForm))
def test_patient_create_form(coordinator_client, data):
    assert_rejects_cleanly(coordinator_client, "post", reverse("patient-create"), data)


@fuzz
@given(data=form_data(PatientForm))
def test_patient_edit_form(coordinator_client, patient_a, data):
    assert_rejects_cleanly(
        coordinator_client, "post", reverse("patient-edit", args=[patient_a.pk]), data
    )


@fuzz
@given(data=form_data(PeriodStartForm))
def test_period_start_form(coordinator_client, patient_a, data):
    assert_rejects_cleanly(
        coordinator_client, "post", reverse("period-start", args=[patient_a.pk]), data
    )


@fuzz
@given(data=form_data(AuditFilterForm))
def test_audit_log_filters(client, admin_a, data):
    client.force_login(admin_a)
    assert_rejects_cleanly(client, "get", reverse("audit-log"), data)
    assert_rejects_cleanly(client, "get", reverse("audit-export"), data)


@fuzz
@given(token=hostile_text)
def test_two_factor_code(client, coordinator_a, token):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=coordinator_a, name="phone", confirmed=True)
    client.force_login(coordinator_a)
    assert_rejects_cleanly(client, "post", reverse("two-factor-verify"), {"token": token})


@fuzz
@given(segment=hostile_text)
def test_patient_detail_with_a_hostile_id(coordinator_client, segment):
    assert_rejects_cleanly(coordinator_client, "get", f"/patients/{segment}/")


@fuzz
@given(
    body=st.one_of(
        st.fixed_dictionaries({"start": json_values, "end": json_values}),
        json_values,
        hostile_text,
    )
)
def test_calendar_move(coordinator_client, appointment_a, body):
    url = reverse("appointment-move", args=[appointment_a.pk])
    assert_rejects_cleanly(coordinator_client, "post", url, body, json_body=True)


def assert_patient_page_opens(client, patient) -> None:
    response = client.get(reverse("patient-detail", args=[patient.pk]))
    assert response.status_code == 200, f"patient page: {response.status_code}"


@fuzz
@given(
    body=st.one_of(
        st.fixed_dictionaries({"start": hostile_datetimes}),
        st.fixed_dictionaries({"start": hostile_datetimes, "end": hostile_datetimes}),
        st.fixed_dictionaries({"start": hostile_dates, "end": hostile_text}),
    )
)
@example(body={"start": "9999-12-31T09:00:00"})
@example(body={"start": "0001-01-01T09:00:00"})
def test_calendar_move_to_any_day_of_the_calendar(coordinator_client, planned_course, body):
    url = reverse("appointment-move", args=[infusion(planned_course).pk])
    assert_rejects_cleanly(coordinator_client, "post", url, body, json_body=True)
    assert_patient_page_opens(coordinator_client, planned_course.patient)


@fuzz
@given(
    params=st.fixed_dictionaries(
        {
            "start": st.one_of(hostile_dates, hostile_datetimes, hostile_text),
            "end": st.one_of(hostile_dates, hostile_datetimes, hostile_text),
        },
        optional={
            "room": hostile_text,
            "clinician": hostile_text,
            "kind": hostile_text,
            "status": hostile_text,
        },
    )
)
@example(params={"start": "9999-12-28", "end": "9999-12-31"})
@example(params={"start": "2026-03-02", "end": "2026-03-09", "room": "²"})
@example(params={"start": "2026-03-02", "end": "2026-03-09", "clinician": "9" * 26})
def test_calendar_feed_query(coordinator_client, params):
    assert_rejects_cleanly(coordinator_client, "get", reverse("calendar-events"), params)


VALID_COURSE = {
    "source": "bone-marrow",
    "route": "intrauterine",
    "planned_infusions": "2",
    "preferred_infusion_day": "",
    "thickness_threshold_mm": "",
    "max_infusions": "",
    "transfer_wait_cycles": "",
}


def _course_form_and_preview(coordinator_client, planned_course, data, which):
    patient = planned_course.patient
    url = {
        "create": reverse("course-create", args=[patient.pk]),
        "edit": reverse("course-edit", args=[planned_course.pk]),
        "preview": reverse("course-preview", args=[patient.pk]),
    }[which]
    assert_rejects_cleanly(coordinator_client, "post", url, data)
    assert_rejects_cleanly(
        coordinator_client, "post", reverse("course-edit-preview", args=[planned_course.pk]), data
    )
    assert_patient_page_opens(coordinator_client, patient)


COURSE_PAGES = st.sampled_from(["create", "edit", "preview"])


@fuzz
@given(data=form_data(CourseForm), which=COURSE_PAGES)
def test_course_form_and_preview(coordinator_client, planned_course, data, which):
    _course_form_and_preview(coordinator_client, planned_course, data, which)


@fuzz
@given(
    not_before=st.one_of(st.just(None), hostile_dates),
    last_period_start=st.one_of(st.just(None), hostile_dates),
    which=COURSE_PAGES,
)
@example(not_before="9999-12-31", last_period_start=None, which="create")
@example(not_before="9999-12-31", last_period_start=None, which="edit")
@example(not_before="9999-12-31", last_period_start=None, which="preview")
@example(not_before="0001-01-01", last_period_start=None, which="preview")
@example(not_before=None, last_period_start="0001-01-01", which="create")
def test_course_dates_across_the_calendar(
    coordinator_client, planned_course, not_before, last_period_start, which
):
    """Only the dates hostile, so that they reach the engine."""
    dates = {"not_before": not_before, "last_period_start": last_period_start}
    data = {**VALID_COURSE, **{k: v for k, v in dates.items() if v is not None}}
    _course_form_and_preview(coordinator_client, planned_course, data, which)


@fuzz
@given(data=form_data(HarvestDoneForm))
@example(data={"on": "0001-01-01"})
@example(data={"on": "9999-12-31"})
def test_harvest_form(coordinator_client, planned_course, data):
    url = reverse("harvest-done", args=[planned_course.pk])
    assert_rejects_cleanly(coordinator_client, "post", url, data)
    assert_patient_page_opens(coordinator_client, planned_course.patient)


@fuzz
@given(data=form_data(BatchReleaseForm, prefix="release"))
def test_batch_release_form(client, coordinator_client, lab_a, planned_course, data):
    batch = factories.CellBatchFactory(course=planned_course)
    client.force_login(lab_a)
    assert_rejects_cleanly(client, "post", reverse("batch-detail", args=[batch.pk]), data)
    assert_patient_page_opens(coordinator_client, planned_course.patient)


@fuzz
@given(
    which=st.sampled_from(["room", "closed"]),
    room=form_data(RoomForm, prefix="room"),
    closed=form_data(ClosedDateForm, prefix="closed"),
)
def test_clinic_admin_forms(client, admin_a, which, room, closed):
    client.force_login(admin_a)
    data = {"form": which, **(room if which == "room" else closed)}
    assert_rejects_cleanly(client, "post", reverse("clinic-settings"), data)


@fuzz
@given(data=form_data(PatientSearchForm))
def test_patient_search(coordinator_client, data):
    assert_rejects_cleanly(coordinator_client, "post", reverse("patient-list"), data)
    response = assert_rejects_cleanly(coordinator_client, "get", reverse("patient-list"))
    assert response.status_code == 200


def test_calendar_move_of_another_clinics_appointment_is_not_found(coordinator_client, patient_b):
    other = factories.AppointmentFactory(patient=patient_b)
    start = (other.starts_at + dt.timedelta(days=1)).isoformat()
    response = assert_rejects_cleanly(
        coordinator_client,
        "post",
        reverse("appointment-move", args=[other.pk]),
        {"start": start},
        json_body=True,
    )
    assert response.status_code == 404


@fuzz
@given(
    name=st.sampled_from(
        [
            "patient-link-confirm",
            "patient-link-reschedule",
            "patient-link-calendar",
            "patient-link-period",
        ]
    ),
    token=hostile_text.filter(lambda t: t and "/" not in t and "\x00" not in t),
    method=st.sampled_from(["get", "post"]),
)
def test_patient_links_with_forged_tokens(client, appointment_a, name, token, method):
    response = assert_rejects_cleanly(client, method, reverse(name, args=[token]), {})
    assert response.status_code >= 400


@fuzz
@given(data=st.dictionaries(st.sampled_from(["date", "message", "reason", "note"]), hostile_text))
def test_patient_links_with_hostile_form_data(client, appointment_a, data):
    for purpose, subject in (
        (links.Purpose.RESCHEDULE, appointment_a),
        (links.Purpose.PERIOD, appointment_a.patient),
    ):
        token = links.make_token(
            purpose,
            subject.pk,
            getattr(subject, "version", 0),
            timezone.now() + dt.timedelta(days=3),
        )
        assert_rejects_cleanly(
            client, "post", reverse(f"patient-link-{purpose}", args=[token]), data
        )


def test_script_in_a_text_field_is_shown_as_text(coordinator_client, patient_a):
    patient_a.prior_treatments = "<script>alert(1)</script>"
    patient_a.first_name = "<b>Ann</b>"
    patient_a.save()
    html = coordinator_client.get(reverse("patient-detail", args=[patient_a.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<b>Ann</b>" not in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html


def test_an_overlong_username_is_refused_before_the_lockout_table(client, coordinator_a):
    """Found by the login fuzzer on PostgreSQL: a 3,000-character username was a 500."""
    from axes.models import AccessAttempt

    response = client.post(reverse("login"), {"username": "x" * 3000, "password": " "})
    assert response.status_code == 200
    assert "at most 150 characters" in str(response.context["form"].errors["username"])
    assert not AccessAttempt.objects.exists()
