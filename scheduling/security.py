"""Session lifetime, two-factor enforcement and caching rules for pages with patient data.

- `SessionTimeoutMiddleware` signs a staff member out after SESSION_IDLE_TIMEOUT_SECONDS without
  a request and SESSION_ABSOLUTE_TIMEOUT_SECONDS after sign-in in any case.
- `TwoFactorMiddleware` sends a signed-in staff member who has an authenticator, or whose clinic
  requires one, to verify (or set up) a TOTP code before any other page.
- `NoStoreMiddleware` forbids caching of every page served to staff and of patient links.
- Deactivating a user ends all of their sessions at once (`connect()` wires the signals).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
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
