"""The directors' SLA dashboard in a real browser, in English and in Chinese: a director's
home opens on it; they go back to November (the hand-worked month of
tests/sla/compliance/conftest.py, frozen), read a missed term, drill down to the leads
behind it, open one lead's clocks and download the month's PDF. Each role's dashboard
and drill-down, as that role may see them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from sla.compliance import reports
from tests.browser.test_pages_browser import switch_language
from tests.sla.compliance.conftest import NOVEMBER, november  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def frozen(november, settings):  # noqa: F811
    settings.SLA_CATCHUP_MARGIN_SECONDS = 0
    reports.freeze(NOVEMBER)
    return november


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_director_reads_a_missed_term_drills_down_and_downloads_the_pdf(
    page, log_in, screenshot, director, frozen, language
):
    a, b, c, d = frozen
    log_in(director)
    page.wait_for_url("**/sla/compliance/")  # a director's home is the dashboard
    switch_language(page, language)
    assert page.locator('[data-month-state="open"]').count() == 1  # this month, to date
    screenshot(page, f"{language}-open-month")

    page.click("[data-month-previous]")  # December → November
    page.wait_for_url("**/sla/compliance/?month=2026-11")
    assert page.locator('[data-month-state="frozen"]').count() == 1
    screenshot(page, f"{language}-dashboard")
    card = page.locator('article[data-term="first_touch_in_time"]')
    assert card.get_attribute("data-status") == "missed"
    assert card.locator("[data-status]").first.inner_text() == t(language, "Missed")
    assert "33.3" in card.locator("[data-actual]").inner_text()
    assert card.locator("svg[data-chart]").count() == 1  # its 12-month trend

    card.locator("[data-behind-link]").click()
    page.wait_for_url("**/sla/compliance/2026-11/first_touch_in_time/#behind")
    behind = page.locator("tr[data-behind-lead]")
    assert sorted(
        int(x) for x in behind.evaluate_all("rows => rows.map(r => r.dataset.behindLead)")
    ) == sorted([b.pk, c.pk])
    assert page.locator("tr[data-breach]").count() == 2
    screenshot(page, f"{language}-drill-down")

    page.locator(f'tr[data-behind-lead="{b.pk}"] a').click()
    page.wait_for_url(f"**/leads/{b.pk}/")
    clocks = page.locator("[data-lead-clocks] tr[data-clock]")
    assert clocks.count() >= 2  # acceptance, first touch, status updates
    screenshot(page, f"{language}-lead-clocks")

    page.goto("/sla/compliance/?month=2026-11")
    with page.expect_download() as caught:
        page.click('[data-download="pdf"]')
    assert caught.value.suggested_filename == "sla-compliance-2026-11-v1.pdf"
    assert Path(caught.value.path()).read_bytes().startswith(b"%PDF")


ROLES = ["director", "sales_manager", "marketer", "sdr"]
SCOPES = {"director": None, "sales_manager": "teams", "marketer": "marketing", "sdr": "person"}


# Each role in one language, the two languages alternating (the director's flow above
# runs in both): one browser pass instead of two.
LANGUAGES = {"director": "zh-hans", "sales_manager": "en", "marketer": "zh-hans", "sdr": "en"}


def test_each_role_sees_the_dashboard_and_a_drill_down_as_it_may(
    request, page, log_in, screenshot, frozen
):
    for role in ROLES:
        language = LANGUAGES[role]
        user = request.getfixturevalue(role)
        page.context.clear_cookies()
        log_in(user)
        switch_language(page, language)
        page.goto("/sla/compliance/?month=2026-11")
        scope = page.locator("[data-scope]")
        if SCOPES[role]:
            assert scope.get_attribute("data-scope") == SCOPES[role]
        else:
            assert scope.count() == 0
        assert page.locator("article[data-term]").count() == 12
        assert page.locator("svg[data-chart]").count() == 12
        if language != "en":
            assert re.search(r"[\u4e00-\u9fff]", page.locator("main").inner_text())
        screenshot(page, f"{language}-{role}-dashboard")
        page.goto("/sla/compliance/2026-11/first_touch_in_time/")
        people = page.locator('[data-breakdown="person"] tr[data-row]')
        assert people.count() == (0 if role == "marketer" else 1)
        screenshot(page, f"{language}-{role}-drill-down")
