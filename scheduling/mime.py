"""Patient emails as Django builds them, flattened to bytes with less work per message.

Reminders go out by the thousand, and Python's email generator spends much of each message on
two things this module skips while producing the same bytes:

- every header, however short, goes through `email.header.Header` to be folded; a header
  that fits on one line and is plain ASCII comes out unchanged, so it is written as is;
- a multipart part without a boundary gets a random one that the generator then checks
  against the whole body with a freshly compiled regex; a 128-bit random boundary cannot
  occur in the text by chance and cannot be guessed by whoever writes it (a patient's name).

tests/reminders/test_mime.py checks that both give the bytes the standard library gives.
"""

import re
import secrets
from email.policy import Compat32

from django.core.mail import EmailMultiAlternatives

# Printable ASCII with single inner spaces and no edge whitespace: `Header` leaves such a value
# as it is when it fits on the line.
_PLAIN_VALUE = re.compile(r"[!-~]+(?: [!-~]+)*")


class UnfoldedShortHeaders(Compat32):
    """Django's policy (compat32), with short plain-ASCII headers written without `Header`."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and len(name) + 2 + len(value) <= self.max_line_length
            and _PLAIN_VALUE.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


POLICY = UnfoldedShortHeaders()


def new_boundary() -> str:
    return f"=={secrets.token_hex(16)}=="


class PatientMessage(EmailMultiAlternatives):
    def message(self):
        message = super().message()
        message.policy = POLICY  # the generator passes it down to every part
        for part in message.walk():
            if part.is_multipart():
                part.set_boundary(new_boundary())
        return message
