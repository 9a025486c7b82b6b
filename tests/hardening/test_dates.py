"""One date range for every date a person enters: year 1 and year 9999 are refused on the
form (or with a 400 on the calendar's JSON), never a 500, and never saved."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.forms.fields import ClinicDateField
from scheduling.models import BatchStatus, CellBatch, ClosedDate
from tests import factories
from tests.workspace.conftest import infusion

pytestmark = pytest.mark.django_db

FAR = ["9999-12-31", "0001-01-01"]


def course_data(**changes) -> dict:
    data = {
        "source": "bone-marrow",
        "route": "intrauterine",
        "planned_infusions": "1",
        "not_before": timezone.localdate().isoformat(),
    }
    return {**data, **changes}


def test_the_field_refuses_dates_outside_the_plausible_range():
    today = dt.date(2026, 3, 1)
    field = ClinicDateField(label="Harvested on", future_allowed=False)
    field.today = today
    assert field.clean("2026-02-01") == dt.date(2026, 2, 1)
    for value, words in (
        ("9999-12-31", "between 1900-01-01 and 2199-12-31"),
        ("0001-01-01", "between 1900-01-01 and 2199-12-31"),
        ("2015-01-01", "more than ten years ago"),
        ("2026-03-02", "cannot be in the future"),
    ):
        with pytest.raises(Exception, match=words):
            field.clean(value)
    birth = ClinicDateField(label="Date of birth", future_allowed=False, recent=False)
    birth.today = today
    assert birth.clean("1985-06-01") == dt.date(1985, 6, 1)


@pytest.mark.parametrize("value", FAR)
def test_course_form_preview_and_edit_refuse_a_far_date(
    staff_client, coordinator, planned_course, value
):
    client = staff_client(coordinator)
    patient = planned_course.patient
    for url in (
        reverse("course-create", args=[patient.pk]),
        reverse("course-edit", args=[planned_course.pk]),
    ):
        for field in ("not_before", "last_period_start"):
            response = client.post(url, course_data(**{field: value}))
            assert response.status_code == 422, (url, field)
            assert response.context["form"].errors[field]
    for url in (
        reverse("course-preview", args=[patient.pk]),
        reverse("course-edit-preview", args=[planned_course.pk]),
    ):
        response = client.post(url, course_data(not_before=value))
        assert response.status_code == 200
        assert response.context["form"].errors["not_before"]


@pytest.mark.parametrize("value", FAR)
def test_harvest_far_date_is_refused_and_the_patient_page_still_opens(
    staff_client, coordinator, planned_course, value
):
    client = staff_client(coordinator)
    response = client.post(reverse("harvest-done", args=[planned_course.pk]), {"on": value})
    assert response.status_code == 422
    assert response.context["form"].errors["on"]
    assert not CellBatch.objects.exists()
    page = client.get(reverse("patient-detail", args=[planned_course.patient_id]))
    assert page.status_code == 200


@pytest.mark.parametrize("value", FAR)
def test_move_to_a_far_day_is_a_400(staff_client, coordinator, planned_course, value):
    url = reverse("appointment-move", args=[infusion(planned_course).pk])
    body = {"start": f"{value}T09:00:00"}
    response = staff_client(coordinator).post(url, body, content_type="application/json")
    assert response.status_code == 400


def test_move_more_than_two_years_ahead_is_refused_with_a_reason(
    staff_client, coordinator, planned_course
):
    url = reverse("appointment-move", args=[infusion(planned_course).pk])
    day = timezone.localdate() + dt.timedelta(days=1000)
    response = staff_client(coordinator).post(
        url, {"start": f"{day}T09:00:00"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "two years ahead" in response.json()["error"]


@pytest.mark.parametrize("start,end", [("9999-12-28", "9999-12-31"), ("0001-01-01", "0001-01-05")])
def test_calendar_feed_far_range_is_a_400(staff_client, coordinator, clinic, start, end):
    response = staff_client(coordinator).get(
        reverse("calendar-events"), {"start": start, "end": end}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["date_of_birth"])
def test_patient_form_refuses_year_one_and_9999(staff_client, coordinator, clinic, field):
    client = staff_client(coordinator)
    for value in FAR:
        data = {
            "mrn": "M-1",
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ann@example.org",
            "time_zone": "Europe/London",
            "language": "en",
            "diagnosis": "asherman",
            "stated_cycle_length": "28",
            "luteal_length": "14",
            field: value,
        }
        response = client.post(reverse("patient-create"), data)
        assert response.status_code == 422
        assert response.context["form"].errors[field]


def test_closed_date_and_batch_release_refuse_far_dates(staff_client, clinic, planned_course):
    admin = factories.MembershipFactory(clinic=clinic, role="admin").user
    client = staff_client(admin)
    for value in FAR:
        response = client.post(reverse("clinic-settings"), {"form": "closed", "closed-date": value})
        assert response.status_code == 422
    assert not ClosedDate.objects.exists()

    lab = factories.MembershipFactory(clinic=clinic, role="lab").user
    batch = factories.CellBatchFactory(course=planned_course, status=BatchStatus.EXPANDING)
    client = staff_client(lab)
    for field in ("released_on", "expires_on"):
        data = {
            "release-released_on": timezone.localdate().isoformat(),
            "release-expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "release-doses": "2",
            **{
                f"release-{check}": "on"
                for check in ("identity", "purity", "viability", "sterility")
            },
            f"release-{field}": "9999-12-31",
        }
        response = client.post(reverse("batch-detail", args=[batch.pk]), data)
        assert response.status_code == 422
        assert response.context["release"].errors[field]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPANDING
