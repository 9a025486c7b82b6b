"""Two-factor sign-in: set up a TOTP authenticator, and verify a code after the password."""

import base64

import segno
from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from scheduling import security


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="Six-digit code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("today")


def _with_next(url_name: str, request) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _verified(request, device: TOTPDevice) -> HttpResponseRedirect:
    otp_login(request, device)
    request.session[security.HAS_DEVICE] = True
    return HttpResponseRedirect(_next_url(request))


@never_cache
@sensitive_post_parameters("token")
def two_factor_verify(request):
    devices = TOTPDevice.objects.filter(user=request.user, confirmed=True)
    if not devices.exists():
        return redirect(_with_next("two-factor-setup", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = not any(device.verify_is_allowed()[0] for device in devices)
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                return _verified(request, device)
        if throttled:
            form.add_error("token", "Too many wrong codes. Wait a minute, then try again.")
        else:
            form.add_error("token", "That code is not right, or has expired. Try the next one.")
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@sensitive_post_parameters("token")
def two_factor_setup(request):
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        if not request.user.is_verified():
            # A stolen password must not be enough to replace the authenticator.
            return redirect(_with_next("two-factor-verify", request))
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect(_next_url(request))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            messages.success(request, "Two-factor authentication is on.")
            return _verified(request, device)
        form.add_error("token", "That code is not right. Check your phone's clock and try again.")
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_data_uri": qr.svg_data_uri(scale=5),
        },
        status=400 if form.errors else 200,
    )
