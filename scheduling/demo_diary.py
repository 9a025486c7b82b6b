"""The demo clinic's diary: who and what is taken when, so nobody is in two places at once."""

import datetime as dt

from scheduling.models import (
    VISIT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    Room,
    User,
)

LAST_HOURS = dt.timedelta(hours=2)  # this close to closing time, the day's visits are over
QUARTER = dt.timedelta(minutes=15)


class Diary:
    """Who and what is taken when, so that nobody is ever in two places at once."""

    def __init__(self, clinic: Clinic, rooms: list[Room], clinicians: list[User], now):
        self.clinic, self.now = clinic, now
        self.procedure_rooms, self.ultrasound_room = rooms[:2], rooms[2]
        self.clinicians = clinicians
        self.busy: list[tuple] = []  # (starts, ends, room, clinician, patient)

    def place(self, appointment: Appointment, day: dt.date, *, rooms=None) -> bool:
        """The first quarter hour from 09:00 that day (and, today, from now on) when a room,
        a clinician (none for an ultrasound) and the patient are free; False when full."""
        zone = self.clinic.zone
        ultrasound = appointment.kind == AppointmentKind.ULTRASOUND
        rooms = rooms or ([self.ultrasound_room] if ultrasound else self.procedure_rooms)
        people = [None] if ultrasound else self.clinicians
        length = dt.timedelta(minutes=VISIT_MINUTES[appointment.kind])
        start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=zone)
        if appointment.status != AppointmentStatus.DONE:
            while start < self.now:
                start += QUARTER
        closes = dt.datetime.combine(day, self.clinic.closes_at, tzinfo=zone)
        while start + length <= closes:
            for room in rooms:
                for person in people:
                    if self._free(start, start + length, room, person, appointment.patient_id):
                        self._take(appointment, start, start + length, room, person)
                        return True
            start += QUARTER
        return False

    def _free(self, start, end, room, person, patient_id) -> bool:
        return not any(
            taken_start < end
            and start < taken_end
            and (r == room.pk or (person is not None and c == person.pk) or p == patient_id)
            for taken_start, taken_end, r, c, p in self.busy
        )

    def _take(self, appointment, start, end, room, person) -> None:
        appointment.starts_at, appointment.ends_at = start, end
        appointment.room, appointment.clinician = room, person
        appointment.uncertainty_days = 0
        self.busy.append(
            (start, end, room.pk, person.pk if person else None, appointment.patient_id)
        )
