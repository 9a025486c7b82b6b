import datetime as dt

import factory
from django.utils import timezone

from scheduling import models


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Clinic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "Europe/London"
    phone = "+44 20 7946 0000"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = models.Role.COORDINATOR


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Room

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Patient{n}")
    email = factory.LazyAttribute(lambda p: f"{p.mrn.lower()}@patients.example")
    time_zone = "Europe/London"
    diagnosis = models.Diagnosis.THIN_ENDOMETRIUM


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Course
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    source = models.CellSource.BONE_MARROW
    route = models.Route.INTRAUTERINE
    not_before = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        """Consent in force by default (it gates harvests and infusions); ``consent=False``
        for a course without one. A built course gets none: call ``consent_for`` after saving."""
        if create and extracted is not False:
            consent_for(obj, **kwargs)


def consent_for(course, **fields):
    """A signed consent form for ``course``, signed well before anything in it happened."""
    signed = min(course.not_before, timezone.localdate()) - dt.timedelta(days=90)
    defaults = {"form_version": "v1", "signed_on": signed, "witnessed_by": "Nurse Witness"}
    return models.CourseConsent.objects.create(course=course, **(defaults | fields))


class CellBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CellBatch

    course = factory.SubFactory(CourseFactory)
    clinic = factory.SelfAttribute("course.clinic")
    lot_number = factory.Sequence(lambda n: f"LOT-{n:05d}")
    source = factory.SelfAttribute("course.source")
    expansion_started_on = factory.LazyFunction(timezone.localdate)
    expected_ready_from = factory.LazyAttribute(
        lambda b: b.expansion_started_on + dt.timedelta(days=14)
    )
    expected_ready_by = factory.LazyAttribute(
        lambda b: b.expansion_started_on + dt.timedelta(days=21)
    )
    doses = 3


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Appointment

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    kind = models.AppointmentKind.CONSULT
    status = models.AppointmentStatus.BOOKED
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(minutes=30))


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Reminder

    appointment = factory.SubFactory(AppointmentFactory)
    appointment_version = factory.SelfAttribute("appointment.version")
    kind = models.ReminderKind.PROCEDURE_1_DAY
    due_at = factory.LazyAttribute(lambda r: r.appointment.starts_at - dt.timedelta(days=1))
