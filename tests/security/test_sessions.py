"""Idle and absolute session expiry, and deactivation ending every session at once."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def signed_in(client, user):
    client.post(reverse("login"), {"username": user.username, "password": "correct-horse-battery"})
    assert "_auth_user_id" in client.session
    return client


def test_thirty_minutes_without_a_request_signs_out(client, coordinator_a):
    with time_machine.travel(START, tick=False) as clock:
        signed_in(client, coordinator_a)
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("today")).status_code == 200
        clock.shift(dt.timedelta(minutes=29))  # 29 minutes since the last request: still in
        assert client.get(reverse("today")).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(reverse("today"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        login_page = client.get(response["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in login_page


def test_twelve_hours_after_sign_in_signs_out_even_when_active(client, coordinator_a):
    with time_machine.travel(START, tick=False) as clock:
        signed_in(client, coordinator_a)
        for _ in range(47):  # a request every 15 minutes for 11¾ hours
            clock.shift(dt.timedelta(minutes=15))
            assert client.get(reverse("today")).status_code == 200
        clock.shift(dt.timedelta(minutes=16))
        response = client.get(reverse("today"))
        assert response["Location"].startswith(reverse("login"))
        assert "time limit" in client.get(response["Location"]).content.decode()


def test_timeouts_come_from_settings(client, coordinator_a, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    with time_machine.travel(START, tick=False) as clock:
        signed_in(client, coordinator_a)
        clock.shift(dt.timedelta(seconds=61))
        assert client.get(reverse("today")).status_code == 302


def _sessions_of(user) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def test_deactivating_a_user_ends_all_their_sessions(coordinator_a, physician_a):
    laptop, phone, colleague = Client(), Client(), Client()
    signed_in(laptop, coordinator_a)
    signed_in(phone, coordinator_a)
    signed_in(colleague, physician_a)
    assert _sessions_of(coordinator_a) == 2

    coordinator_a.is_active = False
    coordinator_a.save()

    assert _sessions_of(coordinator_a) == 0
    assert _sessions_of(physician_a) == 1
    for client in (laptop, phone):
        assert client.get(reverse("today"))["Location"].startswith(reverse("login"))
    assert colleague.get(reverse("today")).status_code == 200


def test_other_saves_of_a_user_keep_their_sessions(coordinator_a):
    client = signed_in(Client(), coordinator_a)
    coordinator_a.first_name = "Carla"
    coordinator_a.save()
    assert client.get(reverse("today")).status_code == 200
