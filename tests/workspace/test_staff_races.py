"""Two clinic admins demoting (or deactivating) each other at the same moment: threads on a
barrier, each with its own connection. The clinic's lock makes the second wait and see the
first, so the clinic always keeps an active admin (real on PostgreSQL; SQLite serialises)."""

import pytest

from scheduling.models import Membership, Role
from scheduling.services import staff
from tests import factories
from tests.planning.test_races import race, unexpected

pytestmark = [pytest.mark.django_db(transaction=True)]


def admins(clinic, *names):
    return [
        factories.MembershipFactory(
            clinic=clinic, role=Role.ADMIN, user=factories.UserFactory(username=name)
        )
        for name in names
    ]


def active_admins(clinic) -> int:
    return Membership.objects.filter(clinic=clinic, role=Role.ADMIN, user__is_active=True).count()


@pytest.mark.parametrize("how", ["demote", "deactivate"])
def test_two_admins_at_once_never_leave_the_clinic_without_one(clinic_a, how):
    first, second = admins(clinic_a, "ann", "bea")

    def act(membership, actor):
        if how == "demote":
            return staff.staff_role_change(membership=membership, role=Role.LAB, actor=actor)
        return staff.staff_set_active(membership=membership, active=False, actor=actor)

    results = race(
        lambda: act(second, first.user),  # Ann acts on Bea
        lambda: act(first, second.user),  # Bea acts on Ann
    )
    assert not unexpected(results, staff.StaffRefused), results
    refused = [r for r in results if isinstance(r, staff.StaffRefused)]
    assert len(refused) == 1, results
    assert "only active admin" in str(refused[0])
    assert active_admins(clinic_a) == 1
