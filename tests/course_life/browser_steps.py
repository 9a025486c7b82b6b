"""Steps the course-life browser journeys share."""

from playwright.sync_api import expect


def record_transfer(page, patient, day: str) -> None:
    """On the patient's page, record a frozen single-blastocyst transfer on `day`."""
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("record-transfer").click()
    page.get_by_label("Transferred on").fill(day)
    page.get_by_label("Number of embryos").fill("1")
    page.get_by_label("Stage").select_option("blastocyst")
    page.get_by_label("Fresh or frozen").select_option("frozen")
    page.get_by_role("button", name="Record transfer").click()
    expect(page.get_by_test_id("outcome-transfer")).to_be_visible()
