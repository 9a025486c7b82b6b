from scheduling.models.appointments import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    VISIT_MINUTES,
)
from scheduling.models.clinics import Clinic, ClosedDate, Membership, Role, Room, User
from scheduling.models.courses import (
    BatchStatus,
    CellBatch,
    CellSource,
    Course,
    CourseStatus,
    Route,
    ThicknessMeasurement,
)
from scheduling.models.messaging import (
    EmailMessage,
    EmailStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.models.patients import Diagnosis, Patient, PeriodStart, ReportedBy

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentKind",
    "AppointmentStatus",
    "BatchStatus",
    "CellBatch",
    "CellSource",
    "Clinic",
    "ClosedDate",
    "Course",
    "CourseStatus",
    "Diagnosis",
    "EmailMessage",
    "EmailStatus",
    "Membership",
    "Patient",
    "PeriodStart",
    "Reminder",
    "ReminderKind",
    "ReminderStatus",
    "ReportedBy",
    "Role",
    "Room",
    "Route",
    "ThicknessMeasurement",
    "User",
    "VISIT_MINUTES",
]
