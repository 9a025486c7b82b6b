"""Who acts, for the audit trail (scheduling/audit.py): a context variable set per request.

``AuditActorMiddleware`` sets it to the signed-in staff member for each request (a patient
link's requests are named as such); services, Celery tasks and patient links say who acts with
``with acting_as(user_or_label):``. Anything else is recorded as "system". The client address
comes from ``security.client_address`` (the trusted proxy's header when one is configured).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from scheduling import security

SYSTEM = "system"
PATIENT_LINK = "patient link"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None
    label: str
    ip_address: str | None = None


_current: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def _actor_for(who: AbstractBaseUser | str | None, ip_address: str | None = None) -> Actor:
    if who is None:
        return Actor(user=None, label=SYSTEM, ip_address=ip_address)
    if isinstance(who, str):
        return Actor(user=None, label=who[:150], ip_address=ip_address)
    return Actor(user=who, label=who.get_username()[:150], ip_address=ip_address)


def current_actor() -> Actor:
    return _current.get() or Actor(user=None, label=SYSTEM)


@contextlib.contextmanager
def acting_as(who: AbstractBaseUser | str | None, *, ip_address: str | None = None) -> Iterator:
    """Attribute every audited write inside the block to `who` (a user or a label)."""
    token = _current.set(_actor_for(who, ip_address))
    try:
        yield
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    return security.client_address(request)


class AuditActorMiddleware:
    """Attribute the request's writes to the signed-in staff member (or to a patient link)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        who = user if user is not None and user.is_authenticated else ANONYMOUS
        with acting_as(who, ip_address=client_ip(request)):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Patient links are anonymous requests under p/; name them in the trail as such.
        route = getattr(request.resolver_match, "route", "") or ""
        if not request.user.is_authenticated and route.startswith("p/"):
            _current.set(_actor_for(PATIENT_LINK, client_ip(request)))
        return None
