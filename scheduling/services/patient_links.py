"""What a patient does through a signed link: confirm, ask to reschedule, report a period.

Each write records the link's nonce in the same transaction, so a link that changes something
works once (a second use gets `LinkUsed`).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scheduling.links import Link
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    ReportedBy,
    RescheduleRequest,
    UsedLink,
)
from scheduling.services.appointments import appointment_confirm
from scheduling.services.periods import period_start_report
from scheduling.services.recording import Recorded


class LinkUsed(Exception):
    pass


class AppointmentChanged(Exception):
    """The appointment moved or was cancelled after the email was sent."""


def _spend(link: Link) -> None:
    try:
        with transaction.atomic():
            UsedLink.objects.create(nonce=link.nonce, purpose=link.purpose)
    except IntegrityError:
        raise LinkUsed from None


def link_is_used(link: Link) -> bool:
    return UsedLink.objects.filter(nonce=link.nonce).exists()


def link_appointment(link: Link) -> Appointment:
    """The appointment a link names, as the email described it (else AppointmentChanged)."""
    appointment = (
        Appointment.objects.select_related("clinic", "patient").filter(pk=link.subject_id).first()
    )
    if (
        appointment is None
        or appointment.version != link.version
        or appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
    ):
        raise AppointmentChanged
    return appointment


def appointment_confirm_by_patient(*, link: Link) -> Appointment:
    with transaction.atomic():
        appointment = link_appointment(link)
        _spend(link)
        if appointment.status == AppointmentStatus.BOOKED:
            appointment = appointment_confirm(appointment=appointment, keep_where_it_stands=False)
    return appointment


def reschedule_request_create(*, link: Link, note: str) -> RescheduleRequest:
    note = note.strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Please keep the note under 2,000 characters."})
    with transaction.atomic():
        appointment = link_appointment(link)
        _spend(link)
        return RescheduleRequest.objects.create(
            clinic=appointment.clinic,
            patient=appointment.patient,
            appointment=appointment,
            appointment_version=appointment.version,
            note=note,
        )


def period_report_by_patient(*, link: Link, date: dt.date) -> tuple[Patient, Recorded]:
    """Record her CD1 (re-planning her courses); a future or ancient date is refused. A date
    too close to another CD1 is held for the clinic to check (``Recorded.notes``)."""
    patient = Patient.objects.select_related("clinic").get(pk=link.subject_id)
    with transaction.atomic():
        _spend(link)
        recorded = period_start_report(patient=patient, date=date, reported_by=ReportedBy.PATIENT)
    return patient, recorded
