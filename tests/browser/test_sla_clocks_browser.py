"""The SLA clocks in a real browser, in English and in Chinese: an SDR's queue row
counts down and turns amber at the clock's warning point, red at its deadline, and
the breach arrives in the bell; the lead page lists its clocks; the manager sees the
lead at risk on the team view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sla.models import Clock
from sla.notify.sweep import sweep
from tests.browser.test_pages_browser import switch_language
from tests.factories import LeadFactory, with_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ms(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() * 1000)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_queue_row_turns_amber_then_red_and_the_manager_sees_it_at_risk(
    page, log_in, screenshot, sdr, sales_manager, language
):
    now = timezone.now()
    lead = with_history(
        LeadFactory(name="Wang Fang", stage="mql", owner=sdr, assigned_at=now,
                    score_quadrant="hot", score_total=90)
    )  # fmt: skip
    acceptance = Clock.objects.get(lead=lead, term="acceptance")
    log_in(sdr)
    switch_language(page, language)
    page.clock.install(time=now)
    page.goto("/queue/")
    row = page.locator(f'tr[data-queue-lead="{lead.pk}"]')
    countdown = row.locator("time.countdown")
    assert countdown.get_attribute("data-deadline")
    assert "sla-warning" not in (row.get_attribute("class") or "")
    screenshot(page, f"{language}-running")

    page.clock.fast_forward(_ms(acceptance.warn_at - now) + 2000)
    page.wait_for_function("row => row.classList.contains('sla-warning')", arg=row.element_handle())
    assert "soon" in countdown.get_attribute("class")
    screenshot(page, f"{language}-amber")

    page.clock.fast_forward(_ms(acceptance.due_at - acceptance.warn_at) + 2000)
    page.wait_for_function(
        "row => row.classList.contains('sla-breached')", arg=row.element_handle()
    )
    assert "overdue" in countdown.get_attribute("class")
    screenshot(page, f"{language}-red")

    # the lead page lists its clocks
    page.goto(f"/leads/{lead.pk}/")
    clocks = page.locator("[data-lead-clocks] tr[data-clock]")
    assert clocks.count() == 3
    screenshot(page, f"{language}-lead-clocks")

    # the manager's team view: past the warning point, the lead is at risk
    Clock.objects.filter(pk=acceptance.pk).update(warn_at=timezone.now() - dt.timedelta(minutes=1))
    page.context.clear_cookies()
    log_in(sales_manager)
    switch_language(page, language)
    page.goto("/sla/team/")
    at_risk = page.locator(f'tr[data-clock-at-risk="{acceptance.pk}"]')
    assert at_risk.count() == 1
    assert "Wang Fang" in at_risk.inner_text()
    screenshot(page, f"{language}-team")

    # back to the SDR, when beat's sweep reaches the deadline: the breach is a
    # notification and the bell counts it
    page.context.clear_cookies()
    log_in(sdr)
    switch_language(page, language)
    page.goto("/queue/")
    assert page.locator("[data-bell]").get_attribute("data-unread") == "0"
    sweep(now=acceptance.due_at + dt.timedelta(seconds=1))
    page.reload()
    assert page.locator("[data-bell]").get_attribute("data-unread") == "1"
    screenshot(page, f"{language}-bell")
