"""Business calendars in a real browser, in English and in Chinese: an admin opens the
default calendar from the navigation, asks the preview about a Friday afternoon,
lengthens Friday's hours, and the preview shows the new due time; the make-up days
warning and a custom open date. A director's view of the list."""

from __future__ import annotations

import pytest

from leads.audit.models import AuditRecord
from sla.calendars import services
from sla.models import BusinessCalendar
from tests.browser.test_pages_browser import switch_language, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FRIDAY = "2026-03-06T17:00"


def due(page, term: str) -> str:
    return page.locator(f'[data-due="{term}"]').inner_text()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admin_edits_the_hours_and_the_preview_shows_the_new_due_time(
    page, log_in, screenshot, admin_user, language
):
    calendar = services.default_calendar()
    log_in(admin_user)
    switch_language(page, language)
    page.click('.mainnav a[data-nav="sla:calendars"]')
    page.wait_for_url("**/sla/calendars/")
    screenshot(page, "list")
    page.click(f'tr[data-calendar="{calendar.name}"] a')
    page.wait_for_url(f"**/sla/calendars/{calendar.pk}/")

    # Friday 17:00: one working hour left that day, the rest on Monday
    page.fill("#id_at", FRIDAY)
    page.click('button[data-action="preview"]')
    page.wait_for_url("**at=*")
    assert "2026-03-09 10:00" in due(page, "acceptance")
    assert "2026-03-09 12:00" in due(page, "first_touch")

    # Friday until 20:00: three hours are left that day
    form = page.locator('form[data-form="calendar"]')
    form.locator("#id_hours_4").fill("09:00-12:00, 13:30-20:00")
    screenshot(page, "edit")
    form.locator('button[data-action="save-calendar"]').click()
    page.wait_for_selector(".msg-success")
    assert "2026-03-06 19:00" in due(page, "acceptance")
    assert "2026-03-09 10:00" in due(page, "first_touch")
    screenshot(page, "saved")
    calendar.refresh_from_db()
    assert calendar.revision == 2
    assert calendar.hours["4"] == [["09:00", "12:00"], ["13:30", "20:00"]]
    assert t(language, "Business calendar changed") in page.locator("[data-history]").inner_text()

    # an overlapping span: the field says so, nothing saved
    form = page.locator('form[data-form="calendar"]')
    form.locator("#id_hours_2").fill("09:00-12:00, 11:00-13:00")
    form.locator('button[data-action="save-calendar"]').click()
    page.wait_for_selector('[data-field="hours_2"] .field-error')
    screenshot(page, "overlap")
    calendar.refresh_from_db()
    assert calendar.revision == 2
    assert AuditRecord.objects.filter(action__startswith="calendar.").count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_director_enters_missing_make_up_days(
    page, log_in, screenshot, director, language, settings
):
    calendar = services.default_calendar()
    log_in(director)
    switch_language(page, language)
    page.goto(f"/sla/calendars/{calendar.pk}/")
    warning = page.locator("div[data-missing-years]")
    missing = [item.year for item in services.missing_years(calendar, services.years_in_use())]
    if missing:
        assert warning.count() == 1
        screenshot(page, "warning")
        year = missing[0]
        page.fill("#id_date", f"{year}-02-20")
        page.select_option("#id_kind", "open")
        page.fill("#id_note", "make-up")
        page.click('button[data-action="add-date"]')
        page.wait_for_selector(f'tr[data-date="{year}-02-20"]')
        assert page.locator(f'[data-missing-year="{year}"]').count() == 0
    screenshot(page, "dates")

    # a new calendar for the New York office
    page.goto("/sla/calendars/")
    page.click('a[data-action="new-calendar"]')
    page.wait_for_url("**/sla/calendars/new/")
    form = page.locator('form[data-form="calendar"]')
    form.locator("#id_name").fill("New York")
    form.locator("#id_time_zone").fill("America/New_York")
    form.locator("#id_countries").fill("US")
    for day in range(5):
        form.locator(f"#id_hours_{day}").fill("09:00-17:00")
    screenshot(page, "new")
    form.locator('button[data-action="save-calendar"]').click()
    page.wait_for_selector(".msg-success")
    new_york = BusinessCalendar.objects.get(name="New York")
    assert new_york.countries == ["US"]
    assert not new_york.is_default
    # Friday 2026-05-22 16:30 + 4 working hours: Tuesday 12:30 (Memorial Day)
    page.fill("#id_at", "2026-05-22T16:30")
    page.click('button[data-action="preview"]')
    page.wait_for_url("**at=*")
    assert "2026-05-26 12:30" in due(page, "first_touch")
    assert page.locator("div[data-missing-years]").count() == 0
    page.goto("/sla/calendars/")
    assert page.locator("tr[data-calendar]").count() == BusinessCalendar.objects.count() == 2
    screenshot(page, "list")
