"""An SDR's morning, in a real browser, in English and in Chinese: log in, take the
next lead from the pool, accept it, log two touches, fill BANT, convert it, see it
leave the queue; then an account executive accepts it into the pipeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from leads.models import Lead, Opportunity, Touch
from leads.people.models import Team
from tests.browser.test_pages_browser import switch_language, t
from tests.factories import LeadFactory, TeamFactory
from tests.helpers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(page, condition, what: str, seconds: float = 10) -> None:
    """Poll the database while the browser works (the page swaps parts in place)."""
    wait_until(
        condition, timeout=seconds, what=what, sleep=lambda s: page.wait_for_timeout(s * 1000)
    )


@pytest.fixture
def morning(sdr, sdr_team_east, ae):
    ae_team = TeamFactory(name="AE North", kind="ae", mode=Team.Mode.ROUND_ROBIN)
    ae_team.members.add(ae)
    now = timezone.now()
    lead = LeadFactory(
        name="Wang Fang",
        stage="mql",
        mql_at=now - dt.timedelta(hours=1),
        team=sdr_team_east,
        owner=None,
        score_quadrant="hot",
        score_total=88,
        source_channel="website",
    )
    return lead


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_sdr_morning_then_the_ae_takes_it(page, log_in, screenshot, sdr, ae, morning, language):
    lead = morning
    log_in(sdr)
    switch_language(page, language)

    # the queue: take the next lead from the pool
    page.goto("/queue/")
    next_button = page.locator("[data-action=next]")
    assert t(language, "Next lead") in next_button.inner_text()
    next_button.click()
    row = page.locator(f"tr[data-queue-lead='{lead.pk}']")
    row.wait_for()
    lead.refresh_from_db()
    assert (lead.owner, lead.stage) == (sdr, "mql")  # assigned, not accepted
    screenshot(page, "claimed")

    # accept it from the queue (the queue part is swapped, no reload)
    row.locator("[data-action=accept]").click()
    page.locator(f"tr[data-queue-lead='{lead.pk}'] [data-stage=sal]").wait_for()
    wait_for(page, lambda: Lead.objects.get(pk=lead.pk).stage == "sal", "the accept")

    # two touches on the lead page
    page.goto(f"/leads/{lead.pk}/")
    screenshot(page, "accepted")
    for count, outcome in ((1, "no_answer"), (2, "connected")):
        touch = page.locator("[data-work-form=touch]")
        if not touch.is_visible():
            page.locator("[data-box=touch] summary").click()
        touch.locator("select[name$=channel]").select_option("call")
        touch.locator("select[name$=outcome]").select_option(outcome)
        touch.locator("button[type=submit]").click()
        wait_for(
            page,
            lambda count=count: Touch.objects.filter(lead=lead).count() == count,
            f"touch {count}",
        )
    page.goto(f"/leads/{lead.pk}/")
    screenshot(page, "touched")

    # BANT: every criterion yes
    qualify = page.locator("[data-box=qualify]")
    qualify.locator("summary").click()
    for name in ("budget", "authority", "need", "timing"):
        qualify.locator(f"input[name$='{name}'][value=yes]").check()
    qualify.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("[data-action=convert]").wait_for()

    # convert: the SQL goes to the AE team and leaves the SDR's queue
    page.locator("[data-action=convert]").click()
    wait_for(page, lambda: Lead.objects.get(pk=lead.pk).stage == "sql", "the conversion")
    lead.refresh_from_db()
    assert lead.owner == ae
    page.goto("/queue/")
    page.locator("[data-queue]").wait_for()
    assert page.locator(f"tr[data-queue-lead='{lead.pk}']").count() == 0
    screenshot(page, "queue-after")

    # the AE accepts it into the pipeline
    page.context.clear_cookies()
    log_in(ae)
    switch_language(page, language)
    page.goto(f"/leads/{lead.pk}/")
    box = page.locator("[data-work-form=sql_accept]")
    box.locator("input[name$=amount]").fill("120000")
    box.locator("input[name$=expected_close]").fill("2027-01-29")
    box.locator("button[type=submit]").click()
    wait_for(page, lambda: Opportunity.objects.filter(lead=lead).exists(), "the opportunity")
    opportunity = Opportunity.objects.get(lead=lead)
    assert (opportunity.owner, opportunity.source, opportunity.amount) == (ae, "marketing", 120000)
    lead.refresh_from_db()
    assert lead.stage == "opportunity"
    page.goto(f"/leads/{lead.pk}/")
    page.locator("[data-box=opportunity]").wait_for()
    screenshot(page, "pipeline")
