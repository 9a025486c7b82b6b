"""What the sign-in page says about where one is signing in."""

from django import template
from django.conf import settings

from scheduling.demo import DEMO_SLUG
from scheduling.demo_people import STAFF
from scheduling.models import Clinic

register = template.Library()

NAMED_AT_MOST = 3  # a deployment serving more clinics does not list them to strangers


@register.simple_tag
def sign_in_place() -> dict:
    """The clinics this address serves (a few by name), and in development the demo logins."""
    names = list(
        Clinic.objects.order_by("name").values_list("name", flat=True)[: NAMED_AT_MOST + 1]
    )
    demo = settings.DEBUG and Clinic.objects.filter(slug=DEMO_SLUG).exists()
    return {
        "clinics": names if len(names) <= NAMED_AT_MOST else [],
        "demo_logins": [(username, role.label) for username, _, _, role in STAFF] if demo else [],
    }
