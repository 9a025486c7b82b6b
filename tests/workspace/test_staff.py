"""Clinic admins manage their staff on the clinic page: invite (a signed set-password link by
email, through a real SMTP server), change roles, deactivate, require two-factor sign-in."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from scheduling.models import AuditEvent, Clinic, Membership, User
from scheduling.services import staff
from tests import factories

pytestmark = pytest.mark.django_db


def invite(client, **fields):
    data = {
        "form": "invite",
        "invite-email": "Sara.Patel@Clinic.example",
        "invite-first_name": "Sara",
        "invite-last_name": "Patel",
        "invite-role": "coordinator",
    }
    data.update({f"invite-{key}": value for key, value in fields.items()})
    return client.post(reverse("clinic-settings"), data)


def link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/invitation/\S+/", text).group(0)


def test_an_admin_invites_staff_by_email_and_they_set_a_password_once(
    staff_client, admin_a, clinic_a, smtp, settings, client
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    response = invite(staff_client(admin_a))
    assert response.status_code == 302

    user = User.objects.get(email="sara.patel@clinic.example")
    assert not user.has_usable_password() and user.is_active
    assert Membership.objects.get(user=user).clinic == clinic_a
    assert Membership.objects.get(user=user).role == "coordinator"
    (message,) = smtp.messages
    assert message["To"] == "sara.patel@clinic.example"
    assert message["Subject"] == "You are invited to Riverside Fertility on Endoplan"
    url = link_in(message)
    assert url.startswith("http://127.0.0.1:8123/invitation/")
    assert f"Your username: {user.username}" in message.get_body().get_content()
    page = client.get(reverse("clinic-settings"), follow=True)  # signed in as the admin still
    row = page.content.decode().split(f'data-testid="staff-{user.username}"')[1]
    assert "invited" in row.split("</tr>")[0]
    assert AuditEvent.objects.filter(
        object_type="membership", changes__invitation_sent_to=user.email
    ).exists()

    client.logout()
    path = url.removeprefix(settings.SITE_URL)
    form = client.get(path, follow=True)
    assert form.status_code == 200 and b"Choose a password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-new-secret-2026", "new_password2": "a-long-new-secret-2026"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-new-secret-2026")
    again = client.get(path, follow=True)
    assert b"already been used or has expired" in again.content
    signed_in = client.post(
        reverse("login"), {"username": user.username, "password": "a-long-new-secret-2026"}
    )
    assert signed_in.status_code == 302 and client.get(reverse("today")).status_code == 200


def test_an_invitation_expires(staff_client, admin_a, smtp, settings, client):
    invite(staff_client(admin_a))
    path = link_in(smtp.messages[0]).removeprefix(settings.SITE_URL)
    client.logout()
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later):
        page = client.get(path, follow=True)
    assert b"already been used or has expired" in page.content


def test_a_refused_invitation_is_a_sentence_on_the_page(staff_client, admin_a, coordinator_a):
    client = staff_client(admin_a)
    taken = invite(client, email=coordinator_a.email)
    assert taken.status_code == 422
    assert "already on the staff of this clinic" in taken.content.decode()
    bad = invite(client, email="not an address")
    assert bad.status_code == 422 and "Enter a valid email address" in bad.content.decode()
    assert User.objects.count() == 2


def test_only_clinic_admins_manage_staff_and_only_their_own_clinic(
    staff_client, coordinator_a, admin_a, coordinator_b
):
    assert invite(staff_client(coordinator_a)).status_code == 403
    other = Membership.objects.get(user=coordinator_b)
    client = staff_client(admin_a)
    for name in ("membership-role", "membership-active", "staff-invitation-resend"):
        assert client.post(reverse(name, args=[other.pk]), {"active": "no"}).status_code == 404
    coordinator_b.refresh_from_db()
    assert coordinator_b.is_active


def test_roles_change_but_the_last_admin_stays(staff_client, admin_a, coordinator_a, clinic_a):
    client = staff_client(admin_a)
    member = Membership.objects.get(user=coordinator_a)
    response = client.post(
        reverse("membership-role", args=[member.pk]), {f"m{member.pk}-role": "admin"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "admin"
    # Two admins: one may make the other a coordinator; then the one left cannot be demoted.
    client.post(reverse("membership-role", args=[member.pk]), {f"m{member.pk}-role": "physician"})
    member.refresh_from_db()
    assert member.role == "physician"
    mine = Membership.objects.get(user=admin_a)
    with pytest.raises(staff.StaffRefused, match="only active admin"):
        staff.staff_role_change(membership=mine, role="coordinator", actor=coordinator_a)
    with pytest.raises(staff.StaffRefused, match="only active admin"):
        staff.staff_set_active(membership=mine, active=False, actor=coordinator_a)
    page = client.post(reverse("membership-role", args=[mine.pk]), {f"m{mine.pk}-role": "lab"})
    assert "cannot change your own account" in client.get(page.url).content.decode()
    mine.refresh_from_db()
    assert mine.role == "admin"
    assert AuditEvent.objects.filter(object_type="membership", action="change").count() == 2


def test_deactivating_ends_their_sessions_and_reactivating_lets_them_back(
    staff_client, admin_a, coordinator_a, client, django_user_model
):
    from django.test import Client

    theirs = Client()
    theirs.force_login(coordinator_a)
    assert theirs.get(reverse("today")).status_code == 200
    admin = staff_client(admin_a)
    member = Membership.objects.get(user=coordinator_a)
    confirm = admin.get(reverse("membership-active", args=[member.pk]))
    assert confirm.status_code == 200 and b"Deactivate" in confirm.content
    assert (
        admin.post(reverse("membership-active", args=[member.pk]), {"active": "no"}).status_code
        == 302
    )
    coordinator_a.refresh_from_db()
    assert not coordinator_a.is_active
    assert theirs.get(reverse("today")).status_code == 302  # to the sign-in page
    page = admin.get(reverse("clinic-settings")).content.decode()
    assert "deactivated" in page.split('data-testid="staff-carla"')[1].split("</tr>")[0]
    admin.post(reverse("membership-active", args=[member.pk]), {"active": "yes"})
    coordinator_a.refresh_from_db()
    assert coordinator_a.is_active


def test_the_clinic_requires_two_factor_sign_in_from_the_same_page(staff_client, admin_a, clinic_a):
    client = staff_client(admin_a)
    response = client.post(reverse("clinic-two-factor"), {"two-factor-require_two_factor": "on"})
    assert response.status_code == 302
    assert Clinic.objects.get(pk=clinic_a.pk).require_two_factor
    assert AuditEvent.objects.filter(
        object_type="clinic", changes__require_two_factor=[False, True]
    ).exists()
    # The admin too must now set up an authenticator before anything else.
    assert client.get(reverse("clinic-settings")).url.startswith(reverse("two-factor-setup"))
    client = staff_client(admin_a)  # signed in again, with an authenticator
    client.post(reverse("clinic-two-factor"), {})
    assert not Clinic.objects.get(pk=clinic_a.pk).require_two_factor


def test_the_django_admin_is_for_superusers_only(client, admin_a):
    admin_a.is_staff = True
    admin_a.save()
    client.force_login(admin_a)
    assert client.get("/admin/").status_code == 302  # to the admin's sign-in: no access
    assert client.get("/admin/scheduling/patient/").status_code == 302
    root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    assert client.get("/admin/").status_code == 200


def test_an_invitation_that_cannot_be_sent_says_so_and_can_be_sent_again(
    staff_client, admin_a, settings
):
    from tests.services import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    client = staff_client(admin_a)
    page = client.get(invite(client).url).content.decode()
    assert "could not be sent just now" in page and "Send the invitation again" in page
    user = User.objects.get(email="sara.patel@clinic.example")
    assert staff.is_invited(user)
    assert not AuditEvent.objects.filter(changes__invitation_sent_to=user.email).exists()
