"""Passwords, lockout after repeated failures, two-factor sign-in, password reset."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from scheduling.models import Clinic

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_passwords_are_hashed_with_argon2_first():
    import clinic.settings as production_settings

    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_argon2_hash_is_stored(settings, coordinator_a):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    coordinator_a.set_password("a-brand-new-long-password")
    coordinator_a.save()
    coordinator_a.refresh_from_db()
    assert coordinator_a.password.startswith("argon2$argon2id$")
    assert coordinator_a.check_password("a-brand-new-long-password")


def test_password_sign_in_works(client, coordinator_a):
    response = sign_in(client, "carla")
    assert response.status_code == 302
    assert response["Location"] == reverse("today")
    assert client.get(reverse("today")).status_code == 200


def test_five_failures_lock_username_and_address_for_thirty_minutes(client, coordinator_a):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        for _ in range(4):
            assert sign_in(client, "carla", "wrong-password").status_code == 200
        locked = sign_in(client, "carla", "wrong-password")
        assert locked.status_code == 429
        assert "Sign-in paused" in locked.content.decode()
        # Even the right password is refused while locked, with the same clear page.
        again = sign_in(client, "carla")
        assert again.status_code == 429
        assert "_auth_user_id" not in client.session
        # The lock is on this username from this address only.
        other_address = sign_in(client, "carla", REMOTE_ADDR="203.0.113.9")
        assert other_address.status_code == 302
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 29, tzinfo=dt.UTC), tick=False):
        assert sign_in(client, "carla").status_code == 429
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 31, tzinfo=dt.UTC), tick=False):
        assert sign_in(client, "carla").status_code == 302


def test_an_unknown_username_is_answered_like_a_wrong_password(client, coordinator_a):
    unknown = sign_in(client, "nobody-here", "whatever-password")
    wrong = sign_in(client, "carla", "wrong-password")
    assert unknown.status_code == wrong.status_code == 200
    assert "didn't match" in unknown.content.decode()
    assert "didn't match" in wrong.content.decode()


# Two-factor -----------------------------------------------------------------------------------


def test_staff_with_an_authenticator_must_enter_a_code_after_the_password(client, coordinator_a):
    device = TOTPDevice.objects.create(user=coordinator_a, name="phone", confirmed=True)
    sign_in(client, "carla")
    response = client.get(reverse("patient-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two-factor-verify"))

    wrong = client.post(reverse("two-factor-verify"), {"token": "000000", "next": "/patients/"})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()
    assert client.get(reverse("patient-list")).status_code == 302

    # Each wrong code makes the next try wait longer (django-otp's throttling).
    throttled = client.post(reverse("two-factor-verify"), {"token": code_for(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    with time_machine.travel(dt.timedelta(seconds=10)):
        device.refresh_from_db()
        right = client.post(
            reverse("two-factor-verify"), {"token": code_for(device), "next": "/patients/"}
        )
    assert right.status_code == 302
    assert right["Location"] == "/patients/"
    assert client.get(reverse("patient-list")).status_code == 200


def test_verify_refuses_to_redirect_off_site(client, coordinator_a):
    device = TOTPDevice.objects.create(user=coordinator_a, name="phone", confirmed=True)
    sign_in(client, "carla")
    response = client.post(
        reverse("two-factor-verify"),
        {"token": code_for(device), "next": "https://evil.example/phish"},
    )
    assert response["Location"] == reverse("today")


def test_clinic_that_requires_two_factor_sends_staff_to_set_up(client, coordinator_a, clinic_a):
    Clinic.objects.filter(pk=clinic_a.pk).update(require_two_factor=True)
    sign_in(client, "carla")
    response = client.get(reverse("today"))
    assert response["Location"].startswith(reverse("two-factor-setup"))

    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data:image/svg+xml" in html
    device = TOTPDevice.objects.get(user=coordinator_a)
    assert not device.confirmed
    # The secret is shown for typing in by hand.
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    assert secret[:4] in html

    assert client.post(reverse("two-factor-setup"), {"token": "12345x"}).status_code == 400
    done = client.post(reverse("two-factor-setup"), {"token": code_for(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("today")).status_code == 200


def test_a_clinic_without_the_requirement_lets_password_only_staff_in(client, coordinator_a):
    sign_in(client, "carla")
    assert client.get(reverse("today")).status_code == 200


def test_a_password_alone_cannot_replace_the_authenticator(client, coordinator_a):
    TOTPDevice.objects.create(user=coordinator_a, name="phone", confirmed=True)
    sign_in(client, "carla")
    response = client.get(reverse("two-factor-setup"))
    assert response["Location"].startswith(reverse("two-factor-verify"))
    assert TOTPDevice.objects.filter(user=coordinator_a).count() == 1


def test_staff_client_fixture_passes_the_second_factor(staff_client, coordinator_a, clinic_a):
    Clinic.objects.filter(pk=clinic_a.pk).update(require_two_factor=True)
    client = staff_client(coordinator_a)
    assert client.get(reverse("today")).status_code == 200


# Password reset -------------------------------------------------------------------------------


def test_password_reset_reveals_nothing_about_accounts(client, coordinator_a):
    known = client.post(reverse("password_reset"), {"email": coordinator_a.email})
    unknown = client.post(reverse("password_reset"), {"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [coordinator_a.email]
    assert "/account/password/reset/" in message.body
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "If that address belongs to a staff account" in done


def test_password_reset_link_sets_a_new_password(client, coordinator_a):
    client.post(reverse("password_reset"), {"email": coordinator_a.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    new = "a-completely-new-passphrase-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    coordinator_a.refresh_from_db()
    assert coordinator_a.check_password(new)
