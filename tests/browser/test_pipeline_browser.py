"""An account executive's pipeline, in a real browser, in English and in Chinese: log
in, open the pipeline from the navigation, see an SQL waiting, accept it into the
pipeline with an amount and a close date, move the opportunity to validation, then
negotiation, try to mark it lost without a reason (refused by the field), mark it
lost with a reason; and win another one. The page swaps its content in place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import Lead, Opportunity
from leads.people.models import Team
from tests.browser.test_pages_browser import switch_language, t
from tests.browser.test_sdr_morning_browser import wait_for
from tests.factories import AccountFactory, LeadFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pipeline(ae):
    team = TeamFactory(name="AE North", kind="ae", mode=Team.Mode.ROUND_ROBIN)
    team.members.add(ae)
    now = timezone.now()
    sql = LeadFactory(
        name="Wang Fang",
        account=AccountFactory(name="杭州云帆科技"),
        company_name="杭州云帆科技",
        stage="sql",
        stage_changed_at=now - dt.timedelta(hours=3),
        owner=ae,
        team=team,
        assigned_at=now - dt.timedelta(hours=3),
        source_channel="event",
        campaign="Shanghai Expo",
    )
    closing_lead = LeadFactory(
        name="Li Wei", stage="opportunity", owner=ae, source_channel="outbound"
    )
    closing = Opportunity.objects.create(
        lead=closing_lead,
        owner=ae,
        name="Acme Robotics renewal",
        amount=Decimal("250000"),
        expected_close=timezone.localdate() + dt.timedelta(days=10),
        stage="negotiation",
        source="sales",
        source_channel="outbound",
    )
    return {"sql": sql, "closing": closing}


def opportunity_row(page, opportunity, stage: str):
    row = page.locator(f"tr[data-opportunity='{opportunity.pk}'][data-stage='{stage}']")
    row.wait_for()
    return row


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_ae_works_the_pipeline(page, log_in, screenshot, ae, pipeline, language):
    lead = pipeline["sql"]
    log_in(ae)
    switch_language(page, language)

    # the navigation leads to the pipeline; the SQL waits there
    page.click('.mainnav a[data-nav="leads:pipeline"]')
    page.wait_for_url("**/pipeline/")
    waiting = page.locator(f"[data-sql='{lead.pk}']")
    assert "Wang Fang" in waiting.inner_text()
    assert t(language, "Marketing-sourced") in waiting.inner_text()
    accept = waiting.locator("[data-pipeline-form=accept]")
    assert accept.locator("button[type=submit]").inner_text() == t(
        language, "Accept into the pipeline"
    )
    screenshot(page, "waiting")

    # accept it into the pipeline with an amount and a close date
    accept.locator("input[name$=amount]").fill("120000")
    accept.locator("input[name$=expected_close]").fill("2031-01-29")
    accept.locator("button[type=submit]").click()
    wait_for(page, lambda: Opportunity.objects.filter(lead=lead).exists(), "the opportunity")
    opportunity = Opportunity.objects.get(lead=lead)
    assert (opportunity.owner, opportunity.amount, opportunity.expected_close) == (
        ae,
        Decimal("120000"),
        dt.date(2031, 1, 29),
    )
    assert (opportunity.stage, opportunity.source) == ("discovery", "marketing")
    assert Lead.objects.get(pk=lead.pk).stage == "opportunity"
    row = opportunity_row(page, opportunity, "discovery")
    assert page.locator(f"[data-sql='{lead.pk}']").count() == 0
    amount = "CNY\xa0120,000.00" if language == "en" else "¥120,000.00"
    assert amount in row.locator("[data-amount]").inner_text()
    assert amount in page.locator("[data-stage-total=discovery] [data-total]").inner_text()
    screenshot(page, "accepted")

    # discovery → validation → negotiation, one click each, without a reload
    page.evaluate("window.notReloaded = true")
    for stage in ("validation", "negotiation"):
        row.locator(f"[data-action=move][data-to={stage}]").click()
        row = opportunity_row(page, opportunity, stage)
        assert Opportunity.objects.get(pk=opportunity.pk).stage == stage
    assert page.evaluate("window.notReloaded") is True
    assert row.locator("[data-action=move]").count() == 0  # negotiation: won or lost only
    screenshot(page, "negotiation")

    # lost without a reason: refused by the field, nothing changed
    row.locator("[data-action=lost]").click()
    row.locator("[data-pipeline-form=lost] button[type=submit]").click()
    error = page.locator(
        f"tr[data-opportunity='{opportunity.pk}'] [data-field$=lost_reason] .field-error"
    )
    error.wait_for()
    assert error.inner_text() == t(language, "A lost opportunity needs a lost reason.")
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "negotiation"
    screenshot(page, "lost-refused")

    # lost with a reason (the box stayed open with the error)
    row = opportunity_row(page, opportunity, "negotiation")
    lost = row.locator("[data-pipeline-form=lost]")
    lost.locator("input[name$=lost_reason]").fill("选择了竞争对手" if language != "en" else "Price")
    lost.locator("button[type=submit]").click()
    page.locator(f"tr[data-closed-opportunity='{opportunity.pk}'][data-stage=lost]").wait_for()
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.closed_at is not None) == ("lost", True)
    assert opportunity.lost_reason == ("选择了竞争对手" if language != "en" else "Price")
    assert Lead.objects.get(pk=lead.pk).stage == "lost"
    assert page.locator(f"tr[data-opportunity='{opportunity.pk}']").count() == 0

    # and the other one is won
    closing = pipeline["closing"]
    won = opportunity_row(page, closing, "negotiation").locator("[data-action=won]")
    assert won.inner_text() == t(language, "Won")
    won.click()
    page.locator(f"tr[data-closed-opportunity='{closing.pk}'][data-stage=won]").wait_for()
    assert Opportunity.objects.get(pk=closing.pk).stage == "won"
    assert Lead.objects.get(pk=closing.lead_id).stage == "won"
    assert page.locator("[data-stage-total=all] [data-count]").inner_text() == "0"
    screenshot(page, "closed")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_director_reads_every_pipeline_and_changes_nothing(
    page, log_in, screenshot, ae, director, pipeline, language
):
    log_in(director)
    switch_language(page, language)

    page.click('.mainnav a[data-nav="leads:pipeline"]')
    page.wait_for_url("**/pipeline/")
    row = opportunity_row(page, pipeline["closing"], "negotiation")
    assert "Alex Closer" in row.inner_text()  # the owner is shown to readers
    assert page.locator(f"[data-sql='{pipeline['sql'].pk}']").count() == 1
    assert page.locator("[data-pipeline-form]").count() == 0
    assert page.locator("[data-stage-total=all] [data-count]").inner_text() == "1"
    screenshot(page, "director")

    page.click("[data-filter=validation]")
    page.wait_for_url("**/pipeline/?stage=validation")
    assert page.locator("[data-stage-group=validation] .stage-empty").inner_text() == t(
        language, "No open opportunity in this stage."
    )
    screenshot(page, "director-filtered")
