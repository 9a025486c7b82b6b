from scheduling.models.appointments import (
    ACTIVE_STATUSES,
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
)
from scheduling.models.audit import AuditAction, AuditEvent, AuditLogIsAppendOnly
from scheduling.models.clinics import Clinic, ClosedDate, Membership, Role, Room, User
from scheduling.models.consent import CourseConsent
from scheduling.models.courses import (
    CLOSED_COURSES,
    BatchStatus,
    CellBatch,
    CellSource,
    Course,
    CourseStatus,
    Route,
    ThicknessMeasurement,
)
from scheduling.models.feeds import CalendarFeed
from scheduling.models.lots import AllocationStatus, DonorLot, DoseAllocation, LotStatus
from scheduling.models.messaging import (
    EmailMessage,
    EmailStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    RescheduleRequest,
    UsedLink,
)
from scheduling.models.outcomes import (
    CLINICAL_KINDS,
    CourseOutcome,
    EmbryoStage,
    OutcomeKind,
    TransferType,
)
from scheduling.models.patients import (
    AshermanSeverity,
    Diagnosis,
    Patient,
    PeriodStart,
    PeriodStartStatus,
    ReportedBy,
)
from scheduling.models.replans import ReplanRun

__all__ = [
    "ACTIVE_STATUSES",
    "CLINICAL_KINDS",
    "CLOSED_COURSES",
    "VISIT_MINUTES",
    "AllocationStatus",
    "Appointment",
    "AppointmentKind",
    "AppointmentStatus",
    "AshermanSeverity",
    "AuditAction",
    "AuditEvent",
    "AuditLogIsAppendOnly",
    "BatchStatus",
    "CalendarFeed",
    "CellBatch",
    "CellSource",
    "Clinic",
    "ClosedDate",
    "Course",
    "CourseConsent",
    "CourseOutcome",
    "CourseStatus",
    "Diagnosis",
    "DonorLot",
    "DoseAllocation",
    "EmailMessage",
    "EmailStatus",
    "EmbryoStage",
    "LotStatus",
    "Membership",
    "OutcomeKind",
    "Patient",
    "PeriodStart",
    "PeriodStartStatus",
    "Reminder",
    "ReminderKind",
    "ReminderStatus",
    "ReplanRun",
    "ReportedBy",
    "RescheduleRequest",
    "Role",
    "Room",
    "Route",
    "ThicknessMeasurement",
    "TransferType",
    "UsedLink",
    "User",
]
