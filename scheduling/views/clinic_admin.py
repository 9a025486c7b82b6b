"""Clinic admins: opening days and hours, protocol parameters, rooms, closures, staff roles."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import policy
from scheduling.forms.clinic_admin import (
    ClinicSettingsForm,
    ClosedDateForm,
    MembershipRoleForm,
    RoomForm,
)
from scheduling.forms.fields import save_unique
from scheduling.models import ClosedDate, Membership, Room

FORMS = {"settings", "room", "closed"}


@require_http_methods(["GET", "POST"])
def clinic_settings(request):
    policy.require(request, policy.Action.ADMINISTER)
    clinic = request.clinic
    which = request.POST.get("form") if request.method == "POST" else None
    bound = request.POST if which in FORMS else None
    forms = {
        "settings": ClinicSettingsForm(
            bound if which == "settings" else None, instance=clinic, prefix="settings"
        ),
        "room": RoomForm(bound if which == "room" else None, clinic=clinic, prefix="room"),
        "closed": ClosedDateForm(
            bound if which == "closed" else None, clinic=clinic, prefix="closed"
        ),
    }
    if which in FORMS and forms[which].is_valid() and _save(forms[which]) is not None:
        messages.success(request, "Saved.")
        return redirect("clinic-settings")
    memberships = Membership.objects.filter(clinic=clinic).select_related("user")
    return render(
        request,
        "scheduling/clinic_admin.html",
        {
            "forms": forms,
            "rooms": Room.objects.filter(clinic=clinic),
            "closed_dates": ClosedDate.objects.filter(clinic=clinic),
            "staff": [(m, MembershipRoleForm(instance=m, prefix=f"m{m.pk}")) for m in memberships],
        },
        status=422 if which in FORMS else 200,
    )


def _save(form):
    """Save the form; a duplicate the database refuses in a race becomes the form's message."""
    if isinstance(form, RoomForm | ClosedDateForm):
        field = "name" if isinstance(form, RoomForm) else "date"
        return save_unique(
            form, form.save, duplicate=form.duplicates(), field=field, message=form.TAKEN
        )
    return form.save()


@require_POST
def room_toggle(request, pk: int):
    room = policy.get_for(request, Room.objects.all(), policy.Action.ADMINISTER, pk=pk)
    room.is_active = not room.is_active
    room.save(update_fields=["is_active"])
    messages.success(request, f"{room} is now {'in use' if room.is_active else 'out of use'}.")
    return redirect("clinic-settings")


@require_POST
def closed_date_delete(request, pk: int):
    closed = policy.get_for(request, ClosedDate.objects.all(), policy.Action.ADMINISTER, pk=pk)
    closed.delete()
    messages.success(request, f"{closed.date} is open again.")
    return redirect("clinic-settings")


@require_POST
def membership_role(request, pk: int):
    membership = policy.get_for(request, Membership.objects.all(), policy.Action.ADMINISTER, pk=pk)
    form = MembershipRoleForm(request.POST, instance=membership, prefix=f"m{membership.pk}")
    if membership.user_id == request.user.pk:
        messages.error(request, "You cannot change your own role.")
    elif form.is_valid():
        form.save()
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    else:
        messages.error(request, "Choose one of the roles.")
    return redirect("clinic-settings")
