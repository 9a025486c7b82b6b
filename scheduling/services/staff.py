"""A clinic's staff, managed by its clinic admins: invite, change a role, deactivate, reactivate.

An invited person gets an account with no usable password and a membership with a role; the
invitation email carries a signed set-password link (Django's token machinery with a salt of
its own, so a password-reset token never works here and the other way round). The token is
made from the password hash and the last sign-in, so it works once, and it expires after
`PASSWORD_RESET_TIMEOUT`. Every change is saved under the clinic's lock, so two admins demoting
each other cannot leave the clinic without an admin; the audit trail records each one through
the model signals (never the password hash).
"""

import re

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from scheduling import audit
from scheduling.models import Clinic, Membership, Role, User
from scheduling.services import locks


class StaffRefused(Exception):
    """A change the clinic's rules do not allow; the message is for the admin who asked."""


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "endoplan.staff-invitation"


invitation_tokens = InvitationTokenGenerator()


def is_invited(user: User) -> bool:
    """Invited and not yet signed up: no password set, never signed in."""
    return not user.has_usable_password() and user.last_login is None


def invitation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("staff-invitation", args=[uid, invitation_tokens.make_token(user)])
    return settings.SITE_URL + path


def staff_invite(
    *, clinic: Clinic, email: str, first_name: str, last_name: str, role: str, invited_by: User
) -> Membership:
    """A new account and its membership; send the invitation after the commit
    (`staff_invitation_send`)."""
    email = email.strip().lower()
    validate_email(email)
    if role not in Role.values:
        raise StaffRefused("Choose one of the roles.")
    with transaction.atomic():
        locks.lock_clinic(clinic.pk)
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            if existing.memberships.filter(clinic=clinic).exists():
                raise StaffRefused(f"{email} is already on the staff of this clinic.")
            raise StaffRefused(
                f"{email} already has an account with another clinic; a site administrator "
                "can add it to this one."
            )
        user = User(
            username=_free_username(email),
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        return Membership.objects.create(user=user, clinic=clinic, role=role)


def staff_invitation_send(*, membership: Membership, invited_by: User) -> None:
    """Email the set-password link (again). Raises the mail backend's error when it fails."""
    user, clinic = membership.user, membership.clinic
    if not is_invited(user):
        raise StaffRefused(f"{user} has already set a password.")
    context = {
        "user": user,
        "clinic": clinic,
        "role": membership.get_role_display(),
        "invited_by": invited_by,
        "url": invitation_url(user),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "sign_in_url": settings.SITE_URL + reverse("login"),
    }
    subject = " ".join(render_to_string("emails/staff-invitation.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/staff-invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        reply_to=[clinic.email] if clinic.email else None,
    )
    message.send()
    audit.write(
        [
            audit.event(
                Membership,
                pk=membership.pk,
                clinic_id=clinic.pk,
                patient_id=None,
                changes={"invitation_sent_to": user.email},
            )
        ]
    )


def staff_role_change(*, membership: Membership, role: str, actor: User) -> Membership:
    if role not in Role.values:
        raise StaffRefused("Choose one of the roles.")
    with transaction.atomic():
        membership = _locked(membership, actor)
        if membership.role == role:
            return membership
        if membership.role == Role.ADMIN:
            _keep_an_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def staff_set_active(*, membership: Membership, active: bool, actor: User) -> Membership:
    """Deactivate (every session of theirs ends: scheduling.security) or reactivate."""
    with transaction.atomic():
        membership = _locked(membership, actor)
        user = membership.user
        if user.is_active == active:
            return membership
        if not active and membership.role == Role.ADMIN:
            _keep_an_admin(membership)
        if user.memberships.exclude(clinic_id=membership.clinic_id).exists():
            raise StaffRefused(
                f"{user} also works for another clinic; a site administrator can deactivate "
                "the account."
            )
        user.is_active = active
        user.save(update_fields=["is_active"])
    return membership


def clinic_two_factor_set(*, clinic: Clinic, required: bool) -> Clinic:
    with transaction.atomic():
        locks.lock_clinic(clinic.pk)
        clinic = Clinic.objects.get(pk=clinic.pk)
        if clinic.require_two_factor != required:
            clinic.require_two_factor = required
            clinic.save(update_fields=["require_two_factor"])
    return clinic


def _locked(membership: Membership, actor: User) -> Membership:
    locks.lock_clinic(membership.clinic_id)
    membership = Membership.objects.select_related("user", "clinic").get(pk=membership.pk)
    if membership.user_id == actor.pk:
        raise StaffRefused("You cannot change your own account here; ask another clinic admin.")
    return membership


def _keep_an_admin(leaving: Membership) -> None:
    others = Membership.objects.filter(
        clinic_id=leaving.clinic_id, role=Role.ADMIN, user__is_active=True
    ).exclude(pk=leaving.pk)
    if not others.exists():
        raise StaffRefused(
            f"{leaving.user} is the clinic's only active admin: make someone else an admin first."
        )


def _free_username(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:140] or "staff"
    name, number = base, 1
    while User.objects.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}{number}"
    return name


def invitation_problem(error: Exception) -> str:
    """What the admin reads when the invitation email could not be sent."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return "The invitation email could not be sent just now; use “Send the invitation again”."
