"""In real headless Chromium: the public report suppresses small numbers, and the staff page
draws its charts (Chart.js under the strict CSP) with "—" where a denominator is under 5."""

import pytest
from playwright.sync_api import expect

from tests.outcomes_report.helpers import TRANSFER, treated_course
from tests.workspace.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cohort(clinic):
    """Six courses: four reached 7 mm, two did not; two transfers, one clinical pregnancy."""
    for n in range(6):
        outcomes = ()
        if n < 2:
            outcomes = (
                ("transfer", 100, TRANSFER),
                ("pregnancy-test", 112, {"beta_hcg": 250, "positive": n == 0}),
            )
        treated_course(clinic, response=8.0 if n < 4 else 6.0, outcomes=outcomes)


def _keep_error(errors: list, message) -> None:
    """Console errors, less the browser's own request for a favicon (the app has none)."""
    if message.type == "error" and "favicon" not in message.location.get("url", ""):
        errors.append(message.text)


def _value(page, table: str, key: str):
    return page.locator(f'[data-testid="{table}"] tr[data-figure="{key}"] [data-testid="value"]')


def test_public_report_shows_fewer_than_5_and_no_rate_that_reveals_one(page, clinic_a):
    _cohort(clinic_a)
    clinic_a.disclosure_public = True
    clinic_a.lab_name = "Riverside Cell Lab"
    clinic_a.save()
    errors = []
    page.on("console", lambda message: _keep_error(errors, message))

    page.goto(f"/disclosure/{clinic_a.slug}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("treatment outcomes")
    expect(_value(page, "public-figures-1", "courses_started")).to_have_text("6")
    expect(_value(page, "public-figures-3", "transfers")).to_have_text("fewer than 5")
    expect(_value(page, "public-figures-1", "cancelled")).to_have_text("fewer than 5")
    # 4 of 6 reached the threshold: the 4 (and the 2 below it) must not be worked back
    reached = page.locator('[data-testid="public-figures-2"] tr[data-figure="reached_threshold"]')
    expect(reached.locator('[data-testid="value"]')).to_have_text("not shown")
    expect(reached).to_contain_text("fewer than 5 of 6 courses started")
    # the mean change rests on 6 courses: shown, with its interval and its denominator
    change = page.locator('[data-testid="public-figures-2"] tr[data-figure="thickness_change"]')
    expect(change).to_contain_text("+2.")
    expect(change).to_contain_text("95 % CI")
    expect(change).to_contain_text("6 courses with a baseline and a response result")
    for table in ("public-figures-1", "public-figures-2", "public-figures-3", "public-by-source"):
        for value in page.locator(
            f'[data-testid="{table}"] [data-testid="value"]'
        ).all_inner_texts():
            assert "%" not in value, f"{table}: a rate over fewer than 5 is shown: {value}"
            assert value in ("fewer than 5", "not shown") or not value.isdigit() or int(value) >= 5
    expect(page.get_by_test_id("lab")).to_have_text("Riverside Cell Lab (Not stated)")
    expect(page.get_by_test_id("public-evidence")).to_contain_text("2.35 mm")
    assert_accessible(page)
    assert not errors, errors

    clinic_a.disclosure_public = False
    clinic_a.save()
    response = page.goto(f"/disclosure/{clinic_a.slug}/")
    assert response.status == 404


def test_staff_page_draws_the_charts(page, live_server, staff_client, admin_a, clinic_a):
    _cohort(clinic_a)
    errors = []
    page.on("console", lambda message: _keep_error(errors, message))
    login(page, live_server, staff_client, admin_a)
    page.goto("/outcomes/")
    expect(_value(page, "figures-3", "clinical_pregnancy_per_transfer")).to_have_text("—")
    expect(_value(page, "figures-2", "reached_threshold")).to_have_text("66.7 %")
    for chart in ("thickness-curves", "response-by-source"):
        canvas = page.get_by_test_id(chart)
        expect(canvas).to_be_visible()
        # Chart.js sized and drew the canvas: it is no longer the default 300 x 150 blank
        drawn = canvas.evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " return d.some((v, i) => i % 4 === 3 && v > 0); }"
        )
        assert drawn, f"{chart} is blank"
    assert_accessible(page)
    assert not errors, errors
