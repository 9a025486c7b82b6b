"""The clinic page's staff section: invite, change a role, deactivate and reactivate, require
two-factor sign-in; and the page where an invited person sets their password."""

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.clinic_admin import MembershipRoleForm
from scheduling.forms.staff import StaffInviteForm, TwoFactorForm
from scheduling.models import Clinic, Membership
from scheduling.services import staff

logger = logging.getLogger(__name__)


@dataclass
class StaffRow:
    membership: Membership
    role_form: MembershipRoleForm
    invited: bool
    active: bool


def staff_rows(clinic: Clinic) -> list[StaffRow]:
    memberships = (
        Membership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return [
        StaffRow(
            membership=m,
            role_form=MembershipRoleForm(instance=m, prefix=f"m{m.pk}"),
            invited=staff.is_invited(m.user),
            active=m.user.is_active,
        )
        for m in memberships
    ]


def staff_context(clinic: Clinic, invite_form: StaffInviteForm | None = None) -> dict:
    return {
        "staff_rows": staff_rows(clinic),
        "invite_form": invite_form or StaffInviteForm(prefix="invite"),
        "two_factor_form": TwoFactorForm(
            initial={"require_two_factor": clinic.require_two_factor}, prefix="two-factor"
        ),
    }


def invite(request, form: StaffInviteForm):
    """Invite from a valid form: a redirect, or None with the refusal on the form."""
    data = form.cleaned_data
    try:
        membership = staff.staff_invite(
            clinic=request.clinic,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            invited_by=request.user,
        )
    except staff.StaffRefused as refusal:
        form.add_error(None, str(refusal))
        return None
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return None
    _send(
        request,
        membership,
        f"{membership.user.email} is invited as {membership.get_role_display()}",
    )
    return redirect("clinic-settings")


def _send(request, membership: Membership, done: str) -> None:
    try:
        staff.staff_invitation_send(membership=membership, invited_by=request.user)
    except staff.StaffRefused as refusal:
        messages.error(request, str(refusal))
    except Exception as error:  # the mail server's refusal or absence, whatever its type
        logger.warning("invitation to %s not sent: %s", membership.user.email, error)
        messages.warning(request, f"{done}, but {staff.invitation_problem(error)}")
    else:
        messages.success(request, f"{done}: the email with a link to set a password is on its way.")


def _membership(request, pk: int) -> Membership:
    return policy.get_for(
        request, Membership.objects.select_related("user"), policy.Action.ADMINISTER, pk=pk
    )


@require_POST
def invitation_resend(request, pk: int):
    membership = _membership(request, pk)
    _send(request, membership, f"{membership.user.email} is invited again")
    return redirect("clinic-settings")


@require_POST
def membership_role(request, pk: int):
    membership = _membership(request, pk)
    form = MembershipRoleForm(request.POST, instance=Membership(pk=pk), prefix=f"m{pk}")
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("clinic-settings")
    try:
        changed = staff.staff_role_change(
            membership=membership, role=form.cleaned_data["role"], actor=request.user
        )
    except staff.StaffRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{changed.user} is now {changed.get_role_display()}.")
    return redirect("clinic-settings")


@require_http_methods(["GET", "POST"])
def membership_active(request, pk: int):
    """GET asks to confirm a deactivation; POST deactivates or reactivates."""
    membership = _membership(request, pk)
    if request.method == "GET":
        return render(request, "scheduling/staff_deactivate.html", {"membership": membership})
    active = request.POST.get("active") == "yes"
    try:
        changed = staff.staff_set_active(membership=membership, active=active, actor=request.user)
    except staff.StaffRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            f"{changed.user} can sign in again."
            if active
            else f"{changed.user} is deactivated: their sessions have ended and they cannot "
            "sign in.",
        )
    return redirect("clinic-settings")


@require_POST
def two_factor(request):
    policy.require(request, policy.Action.ADMINISTER)
    form = TwoFactorForm(request.POST, prefix="two-factor")
    form.is_valid()  # a checkbox: absent means off
    required = bool(form.cleaned_data.get("require_two_factor"))
    staff.clinic_two_factor_set(clinic=request.clinic, required=required)
    messages.success(
        request,
        "Two-factor sign-in is now required: each staff member sets up an authenticator app "
        "at their next page."
        if required
        else "Two-factor sign-in is no longer required (those who set it up still use it).",
    )
    return redirect("clinic-settings")


class InvitationView(auth_views.PasswordResetConfirmView):
    """Django's reset-confirm view with the invitation's own tokens and wording: the token
    leaves the address bar at once (the view moves it into the session), works once, expires."""

    token_generator = staff.invitation_tokens
    template_name = "registration/invitation_set_password.html"
    success_url = reverse_lazy("staff-invitation-done")
    reset_url_token = "set-password"  # noqa: S105 - the URL segment, not a secret

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A deactivated account's invitation no longer works; a used one fails its token.
        return user if user is not None and user.is_active else None


invitation = InvitationView.as_view()
invitation_done = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/invitation_done.html"
)
