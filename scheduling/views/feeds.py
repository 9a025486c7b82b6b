"""Calendar subscriptions: managing the secret addresses, and the iCalendar feed itself."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from scheduling import ics, policy
from scheduling.forms.booking import ConfirmActionForm
from scheduling.forms.clinic_admin import CalendarFeedForm
from scheduling.models import CalendarFeed
from scheduling.selectors.feeds import active_feed, feed_appointments, staff_description
from scheduling.services import slots
from scheduling.services.feeds import calendar_feed_create, calendar_feed_revoke


@require_http_methods(["GET", "POST"])
def feed_list(request):
    policy.require(request, policy.Action.ADMINISTER)
    clinic = request.clinic
    form = CalendarFeedForm(
        request.POST or None,
        rooms=slots.clinic_rooms(clinic),
        clinicians=slots.clinic_clinicians(clinic),
    )
    if request.method == "POST" and form.is_valid():
        calendar_feed_create(
            clinic=clinic,
            room=form.cleaned_data.get("room"),
            clinician=form.cleaned_data.get("clinician"),
            created_by=request.user,
        )
        messages.success(request, "Calendar address created.")
        return redirect("feed-list")
    feeds = [
        (feed, request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])))
        for feed in CalendarFeed.objects.filter(clinic=clinic).select_related("room", "clinician")
    ]
    return render(
        request,
        "scheduling/feed_list.html",
        {"form": form, "feeds": feeds},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def feed_revoke(request, pk: int):
    """Revoke after confirming on its own page: a revoked address cannot be brought back."""
    queryset = CalendarFeed.objects.select_related("room", "clinician")
    feed = policy.get_for(request, queryset, policy.Action.ADMINISTER, pk=pk)
    whose = feed.room or feed.clinician
    form = ConfirmActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        calendar_feed_revoke(feed=feed)
        messages.success(
            request,
            f"The calendar address for {whose} is revoked: its subscribers no longer get "
            "updates. Create a new address to share it again.",
        )
        return redirect("feed-list")
    return render(
        request,
        "scheduling/form_page.html",
        {
            "form": form,
            "title": f"Revoke the calendar address for {whose}?",
            "submit": "Revoke",
            "testid": "feed-revoke-form",
            "back_url": reverse("feed-list"),
        },
        status=422 if form.errors else 200,
    )


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The subscription itself: whoever holds the (revocable) token may read it."""
    feed = active_feed(token)
    if feed is None:
        raise Http404("No such calendar.")
    name = f"{feed.clinic.name}: {feed.room or feed.clinician}"
    body = ics.calendar_bytes(feed_appointments(feed), name, describe=staff_description)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="endoplan.ics"'
    return response
