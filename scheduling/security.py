"""Session lifetime, two-factor enforcement and caching rules for pages with patient data.

- `SessionTimeoutMiddleware` signs a staff member out after SESSION_IDLE_TIMEOUT_SECONDS without
  a request and SESSION_ABSOLUTE_TIMEOUT_SECONDS after sign-in in any case.
- `TwoFactorMiddleware` sends a signed-in staff member who has an authenticator, or whose clinic
  requires one, to verify (or set up) a TOTP code before any other page.
- `NoStoreMiddleware` forbids caching of every page served to staff and of patient links.
- Deactivating a user ends all of their sessions at once (`connect()` wires the signals).
- Hostile input at the edge: `ControlCharacterMiddleware` refuses NUL and other control
  characters in the path, query and form data (400); `parse_id` reads an id from a query
  parameter; `loads_bounded` reads a JSON body no deeper than `JSON_MAX_DEPTH`.
- `client_address` is the client's address, read behind TRUSTED_PROXY_COUNT proxies: the one
  answer for the sign-in lockout (django-axes) and the audit log.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.core.exceptions import BadRequest
from django.db.models.signals import post_save, pre_save
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

logger = logging.getLogger(__name__)

LOGIN_AT = "security_login_at"
LAST_SEEN = "security_last_seen"
HAS_DEVICE = "security_has_otp_device"
SIGNED_OUT_REASON = "security_signed_out_reason"
# Last-activity is written at most this often, so that not every request writes the session.
LAST_SEEN_RESOLUTION_SECONDS = 15

# Pages a staff member still reaches before verifying the second factor.
TWO_FACTOR_EXEMPT = frozenset(
    {"two-factor-setup", "two-factor-verify", "logout", "healthz", "javascript-catalog"}
)


# Pages reached with a secret in the URL instead of a sign-in: patient links, calendar feeds.
TOKEN_ROUTES = ("p/", "feeds/")


def _now() -> float:
    return timezone.now().timestamp()


def has_confirmed_device(user) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def _on_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = _now()
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now
    request.session[HAS_DEVICE] = has_confirmed_device(user)
    request.session.pop(SIGNED_OUT_REASON, None)


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request) -> None:
        session = request.session
        now = _now()
        login_at = session.setdefault(LOGIN_AT, now)
        last_seen = session.setdefault(LAST_SEEN, now)
        if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            reason = "idle"
        elif now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
            reason = "absolute"
        else:
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN] = now
            return
        logout(request)
        request.session[SIGNED_OUT_REASON] = reason


class TwoFactorMiddleware:
    """Needs django_otp's OTPMiddleware and ClinicMiddleware before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is None or match.url_name in TWO_FACTOR_EXEMPT:
            return None
        if request.session.get(HAS_DEVICE):
            target = "two-factor-verify"
        elif request.clinic is not None and request.clinic.require_two_factor:
            target = "two-factor-setup"
        else:
            return None
        return HttpResponseRedirect(
            f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        )


class NoStoreMiddleware:
    """No browser or proxy keeps a copy of a page with patient data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        by_token = match is not None and (match.route or "").startswith(TOKEN_ROUTES)
        if (user is not None and user.is_authenticated) or by_token:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


# Hostile input ------------------------------------------------------------------------------

# C0 controls but tab, line feed and carriage return, and DEL: no person types them, and
# PostgreSQL refuses a NUL in any text it is sent (a 500 before this).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The largest id a database column holds (signed 64 bits); SQLite overflows beyond it.
MAX_ID = 2**63 - 1
# The deepest JSON any endpoint reads: the calendar sends a flat object.
JSON_MAX_DEPTH = 20


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


class ControlCharacterMiddleware:
    """Refuse (400) a request whose path, query string or form data holds a control character,
    before any view or the database sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._refused(request):
            raise BadRequest("The request contains control characters.")
        return self.get_response(request)

    @staticmethod
    def _refused(request) -> bool:
        if has_control_characters(request.path):
            return True
        sources = [request.GET]
        if request.method == "POST":
            # Read (and keep) the body first: a view may still read request.body after
            # request.POST has parsed a multipart body.
            request.body  # noqa: B018
            sources.append(request.POST)
        return any(
            has_control_characters(key) or any(has_control_characters(v) for v in values)
            for source in sources
            for key, values in source.lists()
        )


def parse_id(value: str | None) -> int | None:
    """An id from a query parameter: None when absent or blank; ValueError unless it is plain
    ASCII digits naming a possible row (``"²".isdigit()`` is true, and 26 digits overflow)."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise ValueError(f"not an id: {value[:30]!r}")
    return int(value)


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads_bounded(body: bytes | str, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads`` that refuses (ValueError) a body nested deeper than ``max_depth``, which
    would otherwise exhaust the parser's recursion (a 500)."""
    text = body.decode() if isinstance(body, bytes) else body
    if json_depth(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the entry
    of X-Forwarded-For that the outermost trusted proxy wrote (entries further left are
    whatever the client sent, and are never trusted)."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if not count:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote  # not through the proxies: the peer is the client
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


# Deactivation ---------------------------------------------------------------------------------


def end_sessions_of(user) -> int:
    """Delete every unexpired session that belongs to `user`; how many were ended."""
    ended = 0
    user_id = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()
            ended += 1
    return ended


def _remember_active(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    instance._was_active = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    instance._was_active = (
        sender._base_manager.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def _end_sessions_if_deactivated(sender, instance, created, raw=False, **kwargs) -> None:
    if raw or created or instance.is_active or not getattr(instance, "_was_active", None):
        return
    ended = end_sessions_of(instance)
    logger.info("user %s deactivated: %d session(s) ended", instance.pk, ended)


def connect() -> None:
    """Called once from SchedulingConfig.ready()."""
    user_model = get_user_model()
    user_logged_in.connect(_on_login, dispatch_uid="security-login")
    pre_save.connect(_remember_active, sender=user_model, dispatch_uid="security-was-active")
    post_save.connect(
        _end_sessions_if_deactivated, sender=user_model, dispatch_uid="security-deactivated"
    )
