"""In real Chromium: sign in with password and authenticator; no page breaks the CSP."""

import base64

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from scheduling.models import Clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def totp_code(secret: str) -> str:
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{TOTP(key).token():06d}"


def test_two_factor_sign_in_and_pages_without_csp_violations(
    page, clinic_a, coordinator_a, patient_a
):
    Clinic.objects.filter(pk=clinic_a.pk).update(require_two_factor=True)
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )

    page.goto("/login/")
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()

    page.goto("/calendar/")
    expect(page.locator(".fc-view-harness")).to_be_visible()
    # FullCalendar's own stylesheet applied (through the nonce'd placeholder, not inline CSS).
    assert page.locator(".fc").evaluate("e => getComputedStyle(e).display") == "flex"
    page.goto(f"/patients/{patient_a.pk}/")
    expect(page.get_by_role("heading", name=patient_a.full_name)).to_be_visible()
    page.goto("/patients/")
    assert violations == []
