"""Shared fixtures: personas of two clinics, and real services (Redis, Celery, SMTP, Chromium)."""

import os
import shutil
import uuid

import pytest

from tests import factories
from tests.services import CeleryWorker, redis_is_up, smtp_server, start_test_redis

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _private_media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("private-media")


@pytest.fixture(autouse=True)
def _private_media(settings, _private_media_dir):
    """Uploaded documents (signed consent forms) go to a temporary directory, never var/."""
    settings.PRIVATE_MEDIA_ROOT = _private_media_dir


# Personas -------------------------------------------------------------------------------------


@pytest.fixture
def clinic_a(db):
    return factories.ClinicFactory(name="Riverside Fertility", slug="riverside")


@pytest.fixture
def clinic_b(db):
    return factories.ClinicFactory(
        name="Hillview IVF", slug="hillview", time_zone="America/New_York"
    )


def _member(clinic, role, username):
    return factories.MembershipFactory(
        clinic=clinic, role=role, user=factories.UserFactory(username=username)
    ).user


@pytest.fixture
def coordinator_a(clinic_a):
    return _member(clinic_a, "coordinator", "carla")


@pytest.fixture
def physician_a(clinic_a):
    return _member(clinic_a, "physician", "peter")


@pytest.fixture
def lab_a(clinic_a):
    return _member(clinic_a, "lab", "lena")


@pytest.fixture
def admin_a(clinic_a):
    return _member(clinic_a, "admin", "ada")


@pytest.fixture
def coordinator_b(clinic_b):
    return _member(clinic_b, "coordinator", "bob")


@pytest.fixture
def patient_a(clinic_a):
    return factories.PatientFactory(clinic=clinic_a, first_name="Alice", last_name="Archer")


@pytest.fixture
def patient_b(clinic_b):
    return factories.PatientFactory(clinic=clinic_b, first_name="Beth", last_name="Baker")


@pytest.fixture
def staff_client(client):
    """`staff_client(user)`: the test client signed in as `user`, second factor included.

    Signs in without the password form (like force_login) and, when the user has an
    authenticator or their clinic requires one, marks the session as OTP-verified, so tests of
    other areas pass the two-factor step. Tests of sign-in itself use the real forms.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def sign_in(user):
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None and user.memberships.filter(clinic__require_two_factor=True).exists():
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return sign_in


# Real services --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set (CI: the machine's Redis, which must be up), else our own."""
    url = os.environ.get("REDIS_URL")
    if url:
        if not redis_is_up(url):
            pytest.fail(f"REDIS_URL={url} is set but Redis does not answer")
        yield url
        return
    server = start_test_redis()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def celery_queue():
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session", autouse=True)
def celery_on_test_redis(redis_url, celery_queue):
    """Point this process's Celery app at the test Redis and a queue of this run's own.

    Set once, before anything connects: Celery builds its connection pool and queue table on
    first use.
    """
    from clinic.celery import app

    app.conf.broker_url = redis_url
    app.conf.task_default_queue = celery_queue
    return app


@pytest.fixture
def celery_worker(transactional_db, redis_url, celery_queue):
    worker = CeleryWorker(redis_url=redis_url, queue=celery_queue).start()
    yield worker
    worker.stop()


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; Django's SMTP backend pointed at it."""
    with smtp_server() as (controller, handler):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = controller.hostname
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = False
        yield handler


@pytest.fixture(scope="session")
def browser():
    """Real headless Chromium (Debian package) driven by Playwright."""
    if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # body are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
