"""At the edge: control characters refused (400) before any view or database sees them, a
deeply nested JSON body refused (400), a released batch never released again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import links
from scheduling.models import BatchStatus, CellBatch
from scheduling.security import json_depth, loads_bounded
from tests import factories
from tests.workspace.conftest import infusion

pytestmark = pytest.mark.django_db


def test_nul_in_a_reschedule_note_is_a_400(client, planned_course):
    appointment = infusion(planned_course)
    token = links.make_token(
        links.Purpose.RESCHEDULE,
        appointment.pk,
        appointment.version,
        timezone.now() + dt.timedelta(days=3),
    )
    url = reverse("patient-link-reschedule", args=[token])
    response = client.post(url, {"note": "next week\x00please"})
    assert response.status_code == 400
    assert client.post(url, {"note": "bell\x07"}).status_code == 400


def test_nul_in_a_feed_address_is_a_400(client, db):
    assert client.get("/feeds/abc%00def.ics").status_code == 400


def test_control_characters_in_a_form_or_query_are_a_400(staff_client, coordinator, clinic):
    client = staff_client(coordinator)
    assert client.post(reverse("patient-create"), {"first_name": "A\x01"}).status_code == 400
    assert client.get(reverse("calendar-events"), {"kind": "\x00"}).status_code == 400
    # Tab, line feed and carriage return are text.
    response = client.post(reverse("patient-create"), {"prior_treatments": "a\r\n\tb"})
    assert response.status_code == 422


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth('{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth('"\\"[[["') == 0
    with pytest.raises(ValueError):
        loads_bounded("[" * 50_000 + "]" * 50_000)
    assert loads_bounded(b'{"start": "2026-03-03"}') == {"start": "2026-03-03"}


def test_a_deeply_nested_move_body_is_a_400(staff_client, coordinator, planned_course):
    url = reverse("appointment-move", args=[infusion(planned_course).pk])
    for body in ("[" * 50_000 + "]" * 50_000, '{"start":' + "[" * 50_000):
        response = staff_client(coordinator).post(url, body, content_type="application/json")
        assert response.status_code == 400


@pytest.mark.parametrize("status", [BatchStatus.RELEASED, BatchStatus.EXHAUSTED])
def test_a_released_or_used_batch_is_not_released_again(
    staff_client, clinic, planned_course, status
):
    today = timezone.localdate()
    batch = factories.CellBatchFactory(
        course=planned_course,
        status=status,
        doses=1,
        qc_released_on=today - dt.timedelta(days=5),
        expires_on=today + dt.timedelta(days=20),
        expansion_started_on=today - dt.timedelta(days=25),
    )
    lab = factories.MembershipFactory(clinic=clinic, role="lab").user
    data = {
        "release-released_on": today.isoformat(),
        "release-expires_on": (today + dt.timedelta(days=60)).isoformat(),
        "release-doses": "5",
        **{f"release-{name}": "on" for name in ("identity", "purity", "viability", "sterility")},
    }
    response = staff_client(lab).post(reverse("batch-detail", args=[batch.pk]), data)
    assert response.status_code == 422
    assert "released once" in str(response.context["release"].non_field_errors())
    after = CellBatch.objects.get(pk=batch.pk)
    assert (after.status, after.doses, after.expires_on) == (status, 1, batch.expires_on)
