"""The bell and the notifications page in a browser, in English and Chinese: a sweep
makes notifications, the SDR's bell counts them, the list shows them, marking one and
then all read empties the bell."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sla.models import Notification
from sla.notify.sweep import sweep
from tests.browser.test_pages_browser import switch_language, t
from tests.factories import LeadFactory
from tests.sla.notify.conftest import make_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_bell_counts_new_notifications_and_the_list_marks_them_read(
    page, log_in, screenshot, sdr, sdr_team_east, sales_manager, language
):
    now = timezone.now()
    log_in(sdr)
    switch_language(page, language)
    bell = page.locator("[data-bell]")
    assert bell.get_attribute("data-unread") == "0"

    start = now - timedelta(hours=5)  # warned and breached: the breach is said
    make_clock(lead=LeadFactory(name="Ann Lee"), owner=sdr, team=sdr_team_east, start=start)
    make_clock(
        lead=LeadFactory(name="张伟"),
        owner=sdr,
        team=sdr_team_east,
        start=now - timedelta(hours=3, minutes=30),
    )
    sweep(now=now)
    page.reload()
    assert bell.get_attribute("data-unread") == "2"
    assert bell.locator("[data-bell-count]").inner_text() == "2"
    screenshot(page, "bell")

    bell.click()
    page.wait_for_url("**/sla/notifications/")
    rows = page.locator("[data-notification]")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-step") in ("breach", "warning")
    text = page.locator("[data-notifications]").inner_text()
    assert t(language, "First touch") in text
    assert "Ann Lee" in text
    assert "张伟" in text
    screenshot(page, "list")

    rows.nth(0).locator("button[type=submit]").click()
    page.wait_for_url("**/sla/notifications/")
    assert bell.get_attribute("data-unread") == "1"
    page.locator("[data-read-all] button").click()
    page.wait_for_url("**/sla/notifications/")
    assert bell.get_attribute("data-unread") == "0"
    assert not Notification.objects.filter(recipient=sdr, read_at__isnull=True).exists()
    screenshot(page, "all_read")
