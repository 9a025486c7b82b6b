import pytest
from django.urls import reverse

from tests.services import start_test_redis

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def test_healthz_is_200_then_503_when_redis_stops(client, settings):
    redis_server = start_test_redis()  # our own: the machine's shared Redis is never stopped
    settings.REDIS_URL = redis_server.url
    try:
        healthy = client.get(reverse("healthz"))
        assert healthy.status_code == 200
        assert healthy.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    finally:
        redis_server.stop()

    down = client.get(reverse("healthz"))
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}
    assert down["Cache-Control"].startswith("max-age=0")


def test_healthz_needs_no_login(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    assert client.get(reverse("healthz")).status_code == 200
