"""Signed links for patients, who never have a password (DESIGN.md §1).

A link names one purpose and one appointment (or the patient, to report a period), carries its
own expiry and a random nonce, and is signed with a salt per purpose, so a link made for one
thing never works for another. Links that change something work once: their nonce is recorded
(UsedLink) in the same transaction as the change.
"""

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, Patient


class Purpose(StrEnum):
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    CALENDAR = "calendar"
    PERIOD = "period"


# Links about an appointment stay valid this long after it; a period link this long after sent.
AFTER_APPOINTMENT = dt.timedelta(days=14)
PERIOD_LINK_DAYS = dt.timedelta(days=30)
SALT = "endoplan.patient-link.{purpose}"


class LinkError(Exception):
    """A link that cannot be used; `expired` tells an old link from a broken one."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Link:
    purpose: Purpose
    subject_id: int  # the appointment's id, or the patient's for a period report
    version: int
    nonce: str
    expires_at: dt.datetime


def make_token(purpose: Purpose, subject_id: int, version: int, expires_at: dt.datetime) -> str:
    payload = {
        "s": subject_id,
        "v": version,
        "n": secrets.token_urlsafe(12),
        "e": int(expires_at.timestamp()),
    }
    return _signer(purpose, settings.SECRET_KEY).sign_object(payload)


# A reminder carries three links and thousands go out in a burst: the signers and the reversed
# paths are made once per process instead of once per link.
@functools.lru_cache(maxsize=32)
def _signer(purpose: Purpose, key: str) -> signing.Signer:
    # Signer, not signing.dumps: the payload carries its own expiry, so no timestamp is needed.
    return signing.Signer(key=key, salt=SALT.format(purpose=purpose))


@functools.cache
def _path(purpose: Purpose) -> str:
    return reverse(f"patient-link-{purpose}", args=["TOKEN"]).replace("TOKEN", "{token}")


def read_token(purpose: Purpose, token: str) -> Link:
    """The link's content; LinkError when tampered, made for another purpose, or expired."""
    try:
        # A fresh signer, not the cached one: it also accepts SECRET_KEY_FALLBACKS.
        payload = signing.Signer(salt=SALT.format(purpose=purpose)).unsign_object(token)
        link = Link(
            purpose=purpose,
            subject_id=int(payload["s"]),
            version=int(payload["v"]),
            nonce=str(payload["n"]),
            expires_at=dt.datetime.fromtimestamp(int(payload["e"]), tz=dt.UTC),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkError("This link is not valid.") from None
    if link.expires_at <= timezone.now():
        raise LinkError("This link has expired.", expired=True)
    return link


def appointment_url(purpose: Purpose, appointment: Appointment) -> str:
    expires_at = appointment.ends_at + AFTER_APPOINTMENT
    token = make_token(purpose, appointment.pk, appointment.version, expires_at)
    return settings.SITE_URL + _path(purpose).format(token=token)


def period_url(patient: Patient) -> str:
    token = make_token(Purpose.PERIOD, patient.pk, 0, timezone.now() + PERIOD_LINK_DAYS)
    return settings.SITE_URL + _path(Purpose.PERIOD).format(token=token)
