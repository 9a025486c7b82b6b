"""Lab staff release batches; clinic admins manage rooms and opening hours."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import BatchStatus, Room
from scheduling.timeline.dates import spoken
from tests import factories

pytestmark = pytest.mark.django_db


def test_lab_releases_a_batch_and_the_course_is_replanned(staff_client, lab_a, planned_course):
    today = timezone.localdate()
    batch = factories.CellBatchFactory(
        course=planned_course, expansion_started_on=today - dt.timedelta(days=15)
    )
    client = staff_client(lab_a)
    url = reverse("batch-detail", args=[batch.pk])
    refused = client.post(
        url,
        {
            "release-released_on": today,
            "release-doses": 2,
            "release-expires_on": today,
            "release-identity": "on",
            "release-purity": "on",
            "release-viability": "on",
        },
    )
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "not: sterility" in page and f"must be after the release ({spoken(today)})" in page
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPANDING

    released = client.post(
        url,
        {
            "release-released_on": today,
            "release-doses": 2,
            "release-expires_on": today + dt.timedelta(days=90),
            "release-identity": "on",
            "release-purity": "on",
            "release-viability": "on",
            "release-sterility": "on",
        },
    )
    assert released.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RELEASED and batch.doses == 2


def test_coordinator_cannot_release_and_admin_manages_rooms(
    staff_client, coordinator, admin_a, planned_course, clinic
):
    batch = factories.CellBatchFactory(course=planned_course)
    response = staff_client(coordinator).post(
        reverse("batch-detail", args=[batch.pk]), {"progress-note": "day 5"}
    )
    assert response.status_code == 403

    client = staff_client(admin_a)
    assert client.get(reverse("clinic-settings")).status_code == 200
    client.post(reverse("clinic-settings"), {"form": "room", "room-name": "Scan room"})
    room = Room.objects.get(clinic=clinic, name="Scan room")
    client.post(reverse("room-toggle", args=[room.pk]))
    room.refresh_from_db()
    assert not room.is_active
    bad = client.post(
        reverse("clinic-settings"),
        {"form": "closed", "closed-date": "not a date"},
    )
    assert bad.status_code == 422 and "Enter a valid date." in bad.content.decode()
    assert staff_client(coordinator).get(reverse("clinic-settings")).status_code == 403
