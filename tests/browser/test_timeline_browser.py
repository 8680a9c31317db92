"""The lead page's timeline in a real browser, in English and in Chinese: a lead that
went through a whole life, and one that was returned, disputed and settled, read in
words — names, labels and sentences, no stored keys or codes."""

from __future__ import annotations

import pytest

from leads.queue import work
from tests.browser.test_pages_browser import switch_language
from tests.factories import LeadFactory
from tests.leads.test_timeline_page import EN_TITLES, RAW, ZH_TITLES, live_a_whole_life

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def full_life(integration, sdr, sdr_team_east, ae):
    return live_a_whole_life(integration, sdr, sdr_team_east, ae)


@pytest.fixture
def disputed(sdr, sdr_team_east, marketer, director):
    lead = LeadFactory(name="Zhang Min", stage="sal", owner=sdr, team=sdr_team_east)
    returned = work.lead_return(
        lead=lead, by=sdr, reason="not_icp", note="Only 20 employees", choice="disqualified"
    )
    work.return_dispute(lead_return=returned, by=marketer, note="LinkedIn says 400 staff")
    work.return_settle(lead_return=returned, by=director, outcome="overturned", note="Agreed")
    return lead


@pytest.mark.parametrize(
    ("language", "titles", "returned"),
    [
        (
            "en",
            EN_TITLES,
            [
                "Returned to marketing",
                "Disqualified",
                "Marketing disputed the return",
                "A director overturned the return",
            ],
        ),
        (
            "zh-hans",
            ZH_TITLES,
            ["已退回市场部", "不合格", "市场部对退回提出申诉", "总监驳回了该退回"],
        ),
    ],
)
def test_the_timeline_reads_in_words(
    page, log_in, screenshot, marketer, full_life, disputed, language, titles, returned
):
    log_in(marketer)
    switch_language(page, language)

    page.goto(f"/leads/{full_life.pk}/")
    entries = page.locator(".timeline > li")
    assert entries.locator(".tl-title strong").all_inner_texts() == titles[::-1]  # newest first
    text = page.locator(".timeline").inner_text()
    assert RAW.findall(text) == []
    qualification = page.locator(".timeline > li[data-kind=qualification] .tl-data")
    assert qualification.locator("dt").all_inner_texts()[:2] == (
        ["Budget", "Authority"] if language == "en" else ["预算", "决策权"]
    )
    screenshot(page, "whole-life")

    page.goto(f"/leads/{disputed.pk}/")
    assert page.locator(".timeline .tl-title strong").all_inner_texts() == returned[::-1]
    notes = page.locator(".timeline .tl-quote").all_inner_texts()
    assert notes == ["Agreed", "LinkedIn says 400 staff", "Only 20 employees"]
    assert RAW.findall(page.locator(".timeline").inner_text()) == []
    screenshot(page, "disputed")
