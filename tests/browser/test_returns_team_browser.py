"""Marketing's returned-leads inbox and the sales manager's team view, in a real
browser, in English and in Chinese.

1. Marketing opens the inbox, sees a lead an SDR returned as "wrong information",
   fixes and re-sends it (it leaves the inbox and is an MQL again, routed); marketing
   disputes a not-ICP return with a note, and a director overturns it.
2. A sales manager opens the team view, marks an SDR away (their unaccepted lead is
   re-routed to a colleague, their accepted one comes to the manager), reassigns
   that lead to the other SDR, and reads the counts in the distribution report.
"""

from __future__ import annotations

import pytest

from leads.models import Lead, LeadReturn, RepSettings
from leads.people.models import Team
from leads.queue import work
from tests.browser.test_pages_browser import switch_language, t
from tests.factories import LeadFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --- 1. returns ------------------------------------------------------------------------


@pytest.fixture
def returns(sdr, sdr_team_east):
    wrong = LeadFactory(name="Zhou Jie", company_name="Yunfan", stage="mql", owner=sdr)
    unfit = LeadFactory(name="Chen Jing", company_name="Tiny Shop", stage="sal", owner=sdr)
    wrong_return = work.lead_return(
        lead=wrong, by=sdr, reason="wrong_information", note="The phone number is not theirs."
    )
    unfit_return = work.lead_return(
        lead=unfit, by=sdr, reason="not_icp", note="Only 12 employees.", choice="nurture"
    )
    return {"wrong": wrong_return, "unfit": unfit_return}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_marketing_resends_a_fixed_lead_and_a_director_settles_a_dispute(
    page, log_in, screenshot, marketer, director, returns, language
):
    wrong, unfit = returns["wrong"], returns["unfit"]
    log_in(marketer)
    switch_language(page, language)

    # the inbox: the wrong-information return waits, with its reason and note
    page.click('.mainnav a[data-nav="leads:returns"]')
    page.wait_for_url("**/returns/")
    item = page.locator(f"li[data-return='{wrong.pk}']")
    assert "Zhou Jie" in item.inner_text()
    assert item.locator("[data-reason]").inner_text() == t(language, "Wrong information")
    assert "The phone number is not theirs." in item.inner_text()
    assert page.locator(f"li[data-return='{unfit.pk}']").count() == 0  # nurtured: not open
    screenshot(page, "inbox")

    # fixed and re-sent: it leaves the inbox, is an MQL again and routed
    resend = item.locator("[data-work-form=resend]")
    resend.locator("textarea").fill("Phone corrected from the event badge scan.")
    resend.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"li[data-return='{wrong.pk}']").count() == 0
    assert page.locator(".msg-success").inner_text() == t(
        language, "Re-sent: the lead is an MQL again and was routed."
    )
    lead = Lead.objects.get(pk=wrong.lead_id)
    assert lead.stage == "mql"
    assert lead.team is not None  # routed to the SDR team's pool
    assert LeadReturn.objects.get(pk=wrong.pk).resolved_at is not None
    screenshot(page, "resent")

    # the not-ICP return, under "All": disputed with a note
    page.click("nav.tabs [data-filter=all]")
    page.wait_for_url("**/returns/?status=all")
    item = page.locator(f"li[data-return='{unfit.pk}']")
    assert item.locator("[data-reason]").inner_text() == t(language, "Not ICP")
    dispute = item.locator("[data-work-form=dispute]")
    dispute.locator("textarea").fill("Their website lists 300 employees.")
    dispute.locator("button[type=submit]").click()
    page.wait_for_load_state()
    unfit.refresh_from_db()
    assert (unfit.dispute, unfit.dispute_note, unfit.disputed_by) == (
        "open",
        "Their website lists 300 employees.",
        marketer,
    )
    item = page.locator(f"li[data-return='{unfit.pk}']")
    assert item.locator("[data-dispute]").inner_text() == t(
        language, "Disputed, waiting for a director"
    )
    assert item.locator("[data-work-form=dispute]").count() == 0  # once only
    screenshot(page, "disputed")

    # the director settles it: overturned, the return no longer counts against marketing
    page.context.clear_cookies()
    log_in(director)
    switch_language(page, language)
    page.click('.mainnav a[data-nav="leads:returns"]')
    page.wait_for_url("**/returns/")
    assert page.locator("nav.tabs a.active").get_attribute("data-filter") == "disputed"
    item = page.locator(f"li[data-return='{unfit.pk}']")
    assert "Their website lists 300 employees." in item.inner_text()
    settle = item.locator("[data-work-form=settle]")
    settle.locator("input[value=overturned]").check()
    settle.locator("textarea").fill("Checked: 300 employees.")
    screenshot(page, "settling")
    settle.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"li[data-return='{unfit.pk}']").count() == 0  # no longer disputed
    unfit.refresh_from_db()
    assert (unfit.dispute, unfit.settled_by, unfit.settlement_note) == (
        "overturned",
        director,
        "Checked: 300 employees.",
    )
    assert unfit.counts_against_marketing is False
    screenshot(page, "settled")


# --- 2. the team view --------------------------------------------------------------------


@pytest.fixture
def team(sdr, sdr_team_east, sales_manager):
    sdr_team_east.mode = Team.Mode.ROUND_ROBIN
    sdr_team_east.save()
    tina = UserFactory(username="tina", first_name="Tina", last_name="Tan", roles=["sdr"])
    sdr_team_east.members.add(tina)
    new = LeadFactory(name="Guo Mei", stage="mql", owner=sdr, team=sdr_team_east)
    accepted = LeadFactory(name="He Lin", stage="sal", owner=sdr, team=sdr_team_east)
    LeadFactory(name="Xu Yang", stage="sal", owner=tina, team=sdr_team_east)
    return {"tina": tina, "new": new, "accepted": accepted}


def member_row(page, user):
    return page.locator(f"tr[data-member='{user.pk}']")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_manager_marks_an_sdr_away_reassigns_and_reads_the_distribution(
    page, log_in, screenshot, sdr, sales_manager, team, language
):
    tina, new, accepted = team["tina"], team["new"], team["accepted"]
    log_in(sales_manager)
    switch_language(page, language)

    page.click('.mainnav a[data-nav="leads:team"]')
    page.wait_for_url("**/team/")
    assert member_row(page, sdr).locator("[data-load]").inner_text() == "2"
    assert member_row(page, tina).locator("[data-load]").inner_text() == "1"
    screenshot(page, "team")

    # Sam is away: the new lead is routed to Tina, the accepted one comes to the manager
    member_row(page, sdr).locator("[data-action=away]").click()
    page.wait_for_load_state()
    member_row(page, sdr).locator("[data-away]").wait_for()
    assert member_row(page, sdr).locator("[data-away]").inner_text() == t(language, "Away")
    assert RepSettings.objects.get(user=sdr).away is True
    new.refresh_from_db()
    accepted.refresh_from_db()
    assert new.owner == tina
    assert accepted.owner == sales_manager
    assert member_row(page, sdr).locator("[data-load]").inner_text() == "0"
    assert member_row(page, tina).locator("[data-load]").inner_text() == "2"
    screenshot(page, "away")

    # the manager hands the accepted lead to Tina
    row = page.locator(f"tr[data-team-lead='{accepted.pk}']")
    row.locator("select[name=to_user]").select_option(str(tina.pk))
    row.locator("[data-action=assign]").click()
    page.wait_for_load_state()
    assert page.locator(".msg-success").inner_text() == t(language, "Lead reassigned.")
    accepted.refresh_from_db()
    assert accepted.owner == tina
    assert member_row(page, tina).locator("[data-load]").inner_text() == "3"

    # the distribution report counts who got how many, and why
    page.click("[data-action=distribution]")
    page.wait_for_url("**/routing/distribution/")
    rows = page.locator("table[data-distribution] tbody tr")
    assert rows.count() == 2
    tina_row = page.locator(f"tr[data-row-user='{tina.pk}']")
    assert tina_row.locator("[data-total]").inner_text() == "2"
    assert t(language, "the default team, round-robin") + ": 1" in tina_row.inner_text()
    assert t(language, "assigned by hand") + ": 1" in tina_row.inner_text()
    manager_row = page.locator(f"tr[data-row-user='{sales_manager.pk}']")
    assert manager_row.locator("[data-total]").inner_text() == "1"
    assert t(language, "handed to the manager") + ": 1" in manager_row.inner_text()
    screenshot(page, "distribution")
