"""Ids in query parameters are read strictly: a 400, never a 500."""

import pytest
from django.urls import reverse

from scheduling.security import parse_id

pytestmark = pytest.mark.django_db


def test_parse_id():
    assert parse_id(None) is None and parse_id("") is None
    assert parse_id("42") == 42
    for bad in ("²", "٣", "-1", "0", "1.0", " 1", "x", "9" * 26, str(2**63)):
        with pytest.raises(ValueError):
            parse_id(bad)


@pytest.mark.parametrize("param", ["room", "clinician"])
@pytest.mark.parametrize("value", ["²", "9" * 26, "-3"])
def test_calendar_feed_with_a_bad_id_is_a_400(staff_client, coordinator, clinic, param, value):
    response = staff_client(coordinator).get(
        reverse("calendar-events"),
        {"start": "2026-03-02", "end": "2026-03-09", param: value},
    )
    assert response.status_code == 400


def test_calendar_feed_with_a_good_id_filters(staff_client, coordinator, clinic, rooms):
    response = staff_client(coordinator).get(
        reverse("calendar-events"),
        {"start": "2026-03-02", "end": "2026-03-09", "room": str(rooms[0].pk)},
    )
    assert response.status_code == 200
