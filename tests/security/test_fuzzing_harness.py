"""The harness itself catches what it is for: a 500, and a refusal that wrote something."""

import pytest
from django.http import HttpResponse

from tests import factories
from tests.security.fuzzing import assert_rejects_cleanly

pytestmark = pytest.mark.django_db


class FakeClient:
    def __init__(self, *, status: int, write=None, raises: Exception | None = None):
        self.status, self.write, self.raises = status, write, raises

    def post(self, url, data, **kwargs):
        if self.write:
            self.write()
        if self.raises:
            raise self.raises
        return HttpResponse(status=self.status)


def test_a_refusal_that_wrote_a_row_fails(clinic_a):
    client = FakeClient(status=400, write=lambda: factories.PatientFactory(clinic=clinic_a))
    with pytest.raises(AssertionError, match="refused \\(400\\) but wrote"):
        assert_rejects_cleanly(client, "post", "/x", {})


def test_a_refusal_that_changed_a_value_fails(patient_a):
    def rename():
        patient_a.last_name = "Changed"
        patient_a.save()

    with pytest.raises(AssertionError, match="values changed"):
        assert_rejects_cleanly(FakeClient(status=422, write=rename), "post", "/x", {})


def test_an_error_fails():
    with pytest.raises(AssertionError, match="a 500"):
        assert_rejects_cleanly(FakeClient(status=200, raises=ValueError("boom")), "post", "/x")
    with pytest.raises(AssertionError, match="500"):
        assert_rejects_cleanly(FakeClient(status=503), "post", "/x")


def test_an_accepted_write_passes(clinic_a):
    client = FakeClient(status=302, write=lambda: factories.PatientFactory(clinic=clinic_a))
    assert assert_rejects_cleanly(client, "post", "/x", {}).status_code == 302
