"""Handing one message to the SMTP server, with its failure sorted by what to do next.

A 5xx answer is permanent (the address or the message will never be accepted: the row fails
and is shown to coordinators); anything else — a 4xx, a refused or dropped connection, a time
out — is temporary and the row is retried with back-off (services/outbox.py).
"""

import contextlib
import smtplib

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from scheduling.emails import describe_error

# (envelope sender, recipients, the message's bytes): what Django's SMTP backend hands smtplib.
Flattened = tuple[str, list[str], bytes]


class TemporaryFailure(Exception):
    def __init__(self, message: str, *, server_down: bool = False):
        super().__init__(message)
        self.server_down = server_down


class PermanentFailure(Exception):
    pass


def flatten(message, smtp) -> Flattened | None:
    """What Django's SMTP backend would send for `message` (its `_send`), made ahead of the
    SMTP conversation: the outbox makes those of a whole task first. None for any other
    backend (the console, tests' locmem), which is handed the message itself."""
    if not isinstance(smtp, SMTPBackend):
        return None
    encoding = message.encoding or settings.DEFAULT_CHARSET
    return (
        sanitize_address(message.from_email, encoding),
        [sanitize_address(address, encoding) for address in message.recipients()],
        message.message().as_bytes(linesep="\r\n"),
    )


def deliver(message, smtp, flattened: Flattened | None = None) -> None:
    try:
        smtp.open()  # once per batch: a no-op while the connection is up
        if flattened is None:
            sent = smtp.send_messages([message])
        else:
            smtp.connection.sendmail(*flattened)
            sent = 1
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        close_quietly(smtp)
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentFailure(str(error)) from error
        raise TemporaryFailure(str(error)) from error
    except smtplib.SMTPResponseException as error:
        close_quietly(smtp)
        if 500 <= error.smtp_code < 600:
            raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise TemporaryFailure(
            f"{error.smtp_code} {error.smtp_error!r}",
            server_down=isinstance(error, smtplib.SMTPConnectError),
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        # Refused, timed out, disconnected: the server may be back in a minute.
        close_quietly(smtp)
        raise TemporaryFailure(describe_error(error), server_down=True) from error
    if not sent:
        raise TemporaryFailure("The SMTP backend sent nothing.")


def close_quietly(smtp) -> None:
    # A broken connection is replaced on the next send.
    with contextlib.suppress(Exception):
        smtp.close()
