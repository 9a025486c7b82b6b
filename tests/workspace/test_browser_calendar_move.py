"""Issue 14 in the browser: the calendar's drag shading, status told apart by more than colour,
and the Move… dialog (the keyboard and touch alternative to dragging).

Set SCREENS_DIR to keep the screenshots (the week view, a drag in progress).
"""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import AppointmentStatus
from scheduling.selectors import allowed_days
from tests import factories
from tests.factories import consent_for
from tests.workspace.conftest import assert_accessible, book_at, day_with, infusion, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    folder = os.environ.get("SCREENS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def month_showing(*days: dt.date) -> dt.date:
    """A month whose 6-week grid (Monday first) holds every day."""
    for first in (min(days).replace(day=1), max(days).replace(day=1)):
        grid_start = first - dt.timedelta(days=first.weekday())
        if all(grid_start <= day < grid_start + dt.timedelta(days=42) for day in days):
            return first
    raise AssertionError(f"no month shows {days}")


def drop_requests(page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


def test_a_drag_shades_the_allowed_days_and_a_drop_outside_them_is_refused_in_the_browser(
    page, live_server, staff_client, coordinator, planned_course, clinic
):
    consent_for(planned_course)
    visit = infusion(planned_course)
    day = visit.starts_at.astimezone(clinic.zone).date()
    luteal = day_with(planned_course, allowed=False, phase="luteal", near=day)
    allowed = day_with(planned_course, allowed=True, near=day)
    closed = next(
        day + dt.timedelta(days=n) for n in (1, -1, 2, -2) if day + dt.timedelta(days=n) != allowed
    )
    clinic.closed_dates.create(date=closed, reason="Staff training")
    # A closed day is shaded always, not only while dragging.
    login(page, live_server, staff_client, coordinator)
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.goto(f"/calendar/?view=dayGridMonth&date={month_showing(day, luteal, allowed)}")
    event = page.get_by_test_id(f"event-{visit.pk}")
    expect(event).to_be_visible()
    expect(page.locator(f'td.fc-daygrid-day[data-date="{closed}"]')).to_have_class(
        re.compile("closed-day")
    )
    posts = drop_requests(page)

    source = event.bounding_box()
    target = page.locator(f'td.fc-daygrid-day[data-date="{luteal}"]').bounding_box()
    page.mouse.move(source["x"] + 5, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(source["x"] + 15, source["y"] + source["height"] / 2, steps=5)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=15)

    # While dragging: the allowed days shaded, the others dimmed with the reason.
    allowed_cell = page.locator(f'td.fc-daygrid-day[data-date="{allowed}"]')
    luteal_cell = page.locator(f'td.fc-daygrid-day[data-date="{luteal}"]')
    expect(allowed_cell).to_have_class(re.compile("drag-allowed"))
    expect(luteal_cell).to_have_class(re.compile("drag-refused"))
    expect(luteal_cell).to_have_attribute("title", re.compile("luteal"))
    closed_cell = page.locator(f'td.fc-daygrid-day[data-date="{closed}"]')
    expect(closed_cell).to_have_class(re.compile("drag-refused"))
    expect(closed_cell).to_have_attribute("title", re.compile("closed"))
    expect(page.get_by_test_id("drag-hint")).to_contain_text("Allowed days (shaded)")
    assert page.locator("td.fc-daygrid-day.drag-allowed").count() >= 1
    screenshot(page, "calendar-drag-in-progress.png")
    page.mouse.up()

    # Refused in the browser with the engine's reason; nothing was sent, nothing changed.
    refused = page.get_by_test_id("move-refused")
    expect(refused).to_contain_text("Not moved:")
    expect(refused).to_contain_text("luteal")
    assert not [url for url in posts if "/move" in url]
    calendar = page.get_by_test_id("calendar")
    expect(calendar.locator(".drag-allowed, .drag-refused")).to_have_count(0)
    before = visit.version
    visit.refresh_from_db()
    assert visit.starts_at.astimezone(clinic.zone).date() == day and visit.version == before
    expect(
        page.locator(f'td[data-date="{day}"]').get_by_test_id(f"event-{visit.pk}")
    ).to_be_visible()

    # The server refuses that day by the same rule, had the browser sent it.
    answer = page.evaluate(
        """async ([url, token, start]) => {
            const headers = {"Content-Type": "application/json", "X-CSRFToken": token};
            const body = JSON.stringify({start});
            const r = await fetch(url, {method: "POST", headers, body});
            return {status: r.status, body: await r.json()};
        }""",
        [
            f"/appointments/{visit.pk}/move",
            page.get_by_test_id("calendar").get_attribute("data-csrf-token"),
            f"{luteal}T10:00:00",
        ],
    )
    assert answer["status"] == 422 and "luteal" in answer["body"]["error"]

    # A drop on a shaded day is saved.
    source = page.get_by_test_id(f"event-{visit.pk}").bounding_box()
    target = allowed_cell.bounding_box()
    page.mouse.move(source["x"] + 5, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(source["x"] + 15, source["y"] + source["height"] / 2, steps=5)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=15)
    expect(allowed_cell).to_have_class(re.compile("drag-allowed"))
    page.mouse.up()
    expect(page.get_by_test_id("move-saved")).to_be_visible()
    visit.refresh_from_db()
    assert visit.starts_at.astimezone(clinic.zone).date() == allowed


def test_each_status_has_its_symbol_words_and_border_and_the_legend_says_so(
    page, live_server, staff_client, coordinator, clinic, rooms, physician
):
    today = timezone.localdate(timezone=clinic.zone)
    monday = today - dt.timedelta(days=today.weekday())
    patient = factories.PatientFactory(clinic=clinic, first_name="Alice", last_name="Archer")
    for weeks in (8, 4):
        patient.period_starts.create(date=today - dt.timedelta(weeks=weeks), reported_by="staff")

    def visit(offset: int, hour: int, **fields):
        starts_at = dt.datetime.combine(
            monday + dt.timedelta(days=offset), dt.time(hour), tzinfo=clinic.zone
        )
        return factories.AppointmentFactory(
            patient=patient,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=45),
            room=rooms[0],
            clinician=physician,
            **fields,
        )

    visits = {
        "tentative": visit(0, 9, status=AppointmentStatus.TENTATIVE, uncertainty_days=2),
        "booked": visit(1, 10, status=AppointmentStatus.BOOKED),
        "confirmed": visit(2, 11, status=AppointmentStatus.CONFIRMED),
        "rebooking": visit(
            3, 12, status=AppointmentStatus.BOOKED, rebooking_reason="The clinic is closed."
        ),
        "done": visit(4, 13, status=AppointmentStatus.DONE),
    }
    prefixes = {
        "tentative": "◌ Tentative ±2 d",
        "booked": "● Booked",
        "confirmed": "✔ Confirmed",
        "rebooking": "⚠ Needs re-booking",
        "done": "☑ Done",
    }
    login(page, live_server, staff_client, coordinator)
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(f"/calendar/?view=timeGridWeek&date={monday}")
    borders = {}
    for name, appointment in visits.items():
        event = page.get_by_test_id(f"event-{appointment.pk}")
        expect(event).to_contain_text(prefixes[name])
        expect(event).to_have_attribute("aria-label", re.compile(prefixes[name]))
        borders[name] = event.evaluate(
            "el => { const s = getComputedStyle(el); "
            "return s.borderTopStyle + ' ' + s.borderLeftWidth; }"
        )
        legend = page.get_by_test_id(f"legend-{name}")
        expect(legend).to_contain_text(prefixes[name].split(" ±")[0])
        assert (
            legend.evaluate(
                "el => { const s = getComputedStyle(el); "
                "return s.borderTopStyle + ' ' + s.borderLeftWidth; }"
            )
            == borders[name]
        ), name
    # Five statuses, five borders: none told apart by colour alone.
    assert len(set(borders.values())) == 5, borders
    # The hour either side of opening time is shown, hatched as out of hours.
    expect(page.locator("td.fc-timegrid-slot-label[data-time='07:00:00']")).to_have_text("07:00")
    assert page.get_by_test_id("calendar").locator(".fc-non-business").count() >= 7
    screenshot(page, "calendar-week.png")
    assert_accessible(page)


def test_the_move_dialog_books_a_move_by_keyboard_only(
    page, live_server, staff_client, coordinator, planned_course, clinic, rooms, physician
):
    consent_for(planned_course)
    visit = infusion(planned_course)
    day = visit.starts_at.astimezone(clinic.zone).date()
    visit = book_at(visit, day=day, hour=9, room=rooms[0], clinician=physician)
    offered = allowed_days.allowed_days(visit)
    assert len(offered) >= 2, offered
    login(page, live_server, staff_client, coordinator)
    page.goto(f"/calendar/?view=timeGridWeek&date={day}")
    event = page.get_by_test_id(f"event-{visit.pk}")
    expect(event).to_be_visible()

    # Tab to the visit (keyboard only from here).
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == f"event-{visit.pk}":
            break
    else:
        raise AssertionError("the visit cannot be reached with Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_test_id("event-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Infusion · Alice Archer")
    assert page.evaluate("document.activeElement.dataset.testid") == "dialog-move"
    assert_accessible(page)

    # Escape closes it and focus goes back to the visit.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.testid") == f"event-{visit.pk}"

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")  # Move…
    days = page.get_by_test_id("move-days")
    expect(days.get_by_role("radio")).to_have_count(len(offered))
    # Focus stays inside the dialog whatever the number of Tabs.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('#event-dialog')")
    days.get_by_role("radio").first.focus()  # back to the first day, as on opening
    page.keyboard.press("ArrowDown")  # the second allowed day, chosen
    target = offered[1]
    times = page.get_by_test_id("move-times").get_by_role("radio")
    expect(times.first).to_be_visible()
    expect(times.first).to_have_accessible_name(re.compile(rooms[0].name))
    page.keyboard.press("Tab")  # into the times
    page.keyboard.press("Space")
    label = page.evaluate("document.activeElement.labels[0].textContent")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "dialog-confirm-move"
    screenshot(page, "calendar-move-dialog.png")
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("move-saved")).to_contain_text("Moved to")
    visit.refresh_from_db()
    local = visit.starts_at.astimezone(clinic.zone)
    assert local.date() == target
    assert label.startswith(f"{local:%H:%M}")
    assert visit.room == rooms[0] and visit.clinician == physician
    assert visit.status == AppointmentStatus.BOOKED


@pytest.fixture
def phone(browser, live_server):
    """A 390 px wide touch screen."""
    context = browser.new_context(
        base_url=live_server.url,
        timezone_id="Europe/London",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_on_a_phone_a_tap_opens_the_move_dialog_and_moves_the_visit(
    phone, live_server, staff_client, coordinator, planned_course, clinic, rooms, physician
):
    consent_for(planned_course)
    visit = infusion(planned_course)
    day = visit.starts_at.astimezone(clinic.zone).date()
    visit = book_at(visit, day=day, hour=9, room=rooms[0], clinician=physician)
    offered = allowed_days.allowed_days(visit)
    target = next(other for other in offered if other != day)
    login(phone, live_server, staff_client, coordinator)
    phone.goto(f"/calendar/?view=timeGridDay&date={day}")
    phone.get_by_test_id(f"event-{visit.pk}").tap()
    dialog = phone.get_by_test_id("event-dialog")
    expect(dialog).to_be_visible()
    assert_accessible(phone)
    dialog.get_by_role("button", name="Move…").tap()
    dialog.get_by_label(re.compile(f"^{target:%a %-d %b %Y}")).tap()
    first_time = phone.get_by_test_id("move-times").get_by_role("radio").first
    first_time.tap()
    label = first_time.evaluate("el => el.labels[0].textContent")
    assert_accessible(phone)
    dialog.get_by_role("button", name="Move to this time").tap()
    expect(dialog).to_be_hidden()
    expect(phone.get_by_test_id("move-saved")).to_contain_text("Moved to")
    visit.refresh_from_db()
    local = visit.starts_at.astimezone(clinic.zone)
    assert local.date() == target and label.startswith(f"{local:%H:%M}")
