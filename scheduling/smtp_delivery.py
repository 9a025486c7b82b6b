"""Handing one message to the SMTP server, with its failure sorted by what to do next.

A 5xx answer is permanent (the address or the message will never be accepted: the row fails
and is shown to coordinators); anything else — a 4xx, a refused or dropped connection, a time
out — is temporary and the row is retried with back-off (services/outbox.py).
"""

import contextlib
import smtplib

from scheduling.emails import describe_error


class TemporaryFailure(Exception):
    def __init__(self, message: str, *, server_down: bool = False):
        super().__init__(message)
        self.server_down = server_down


class PermanentFailure(Exception):
    pass


def deliver(message, smtp) -> None:
    try:
        smtp.open()  # once per batch: a no-op while the connection is up
        sent = smtp.send_messages([message])
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
