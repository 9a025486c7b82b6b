"""Two coordinators resolve the same reschedule request at once (threads on a barrier, each
with its own connection): one resolution is kept, the other is told who was first, and the
trail holds exactly one resolution. Real on PostgreSQL; SQLite serialises the writers."""

import pytest
from django.core.exceptions import ValidationError

from scheduling.audit import acting_as
from scheduling.models import AuditEvent, RescheduleRequest
from scheduling.services.reschedule import reschedule_request_resolve
from tests import factories
from tests.planning.test_races import race, unexpected

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_one_resolution_wins_and_the_other_is_told(clinic, patient_a, coordinator):
    other = factories.MembershipFactory(
        clinic=clinic, role="coordinator",
        user=factories.UserFactory(username="olga", first_name="Olga", last_name="Okafor"),
    ).user  # fmt: skip
    visit = factories.AppointmentFactory(patient=patient_a)
    request = RescheduleRequest.objects.create(
        clinic=clinic, patient=patient_a, appointment=visit, appointment_version=visit.version,
        note="Can we move it?",
    )  # fmt: skip

    def resolve(who, words):
        def work():
            with acting_as(who):
                return reschedule_request_resolve(request=request, resolution=words, actor=who)

        return work

    results = race(resolve(coordinator, "Moved to Thu"), resolve(other, "Called her, keeps it"))
    assert not unexpected(results, ValidationError), results
    won = [r for r in results if isinstance(r, RescheduleRequest)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    request.refresh_from_db()
    assert request.resolution == won[0].resolution
    assert request.resolved_by == won[0].resolved_by
    assert "already resolved by" in lost[0].messages[0]
    assert request.resolution in lost[0].messages[0]
    trail = AuditEvent.objects.filter(object_type="reschedulerequest", action="change")
    assert [e.changes["resolution"][1] for e in trail] == [request.resolution]
