"""Writes about patients."""

from scheduling.emails import OutgoingEmail, send_email
from scheduling.models import EmailMessage, Patient


def patient_send_welcome(*, patient: Patient) -> EmailMessage:
    """Tell a newly enrolled patient that reminders will come from this clinic."""
    return send_email(
        OutgoingEmail(
            patient=patient,
            kind="welcome",
            context={},
            message_id=f"<welcome-{patient.pk}@endoplan.local>",
        )
    )
