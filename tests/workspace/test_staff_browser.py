"""Real Chromium: a clinic admin invites a coordinator, who sets a password from the emailed
link and signs in."""

import re

import pytest
from playwright.sync_api import expect

from scheduling.models import Membership, User
from tests.workspace.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_then_set_password_then_sign_in(
    page, live_server, staff_client, admin_a, smtp, settings
):
    settings.SITE_URL = live_server.url
    login(page, live_server, staff_client, admin_a)
    page.goto("/clinic/")
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Email address").fill("sara.patel@riverside.example")
    form.get_by_label("First name").fill("Sara")
    form.get_by_label("Last name").fill("Patel")
    form.get_by_label("Role").select_option(label="Coordinator")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert").first).to_contain_text("is invited as Coordinator")
    user = User.objects.get(email="sara.patel@riverside.example")
    expect(page.get_by_test_id(f"staff-{user.username}")).to_contain_text("invited")
    assert_accessible(page)

    (message,) = smtp.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    url = re.search(r"http://\S+/invitation/\S+/", text).group(0)
    assert url.startswith(live_server.url)
    page.context.clear_cookies()
    page.goto(url)
    expect(page.get_by_role("heading", name="Welcome to Endoplan")).to_be_visible()
    expect(page.get_by_test_id("invited-username")).to_have_text(user.username)
    page.locator("#id_new_password1").fill("riverside-coordinator-2026")
    page.locator("#id_new_password2").fill("riverside-coordinator-2026")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("riverside-coordinator-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert Membership.objects.get(user=user).role == "coordinator"
    page.goto(url)  # the link worked once
    expect(page.get_by_role("alert")).to_contain_text("already been used or has expired")
