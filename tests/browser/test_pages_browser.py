"""The pages in a real browser (Playwright + Debian's Chromium) against a live server.

Fixtures (``page``, ``log_in``, ``screenshot``) come from tests/browser/conftest.py;
set ``SMARKETING_SCREENSHOT_DIR`` to keep a PNG of every page for a human to look at.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from leads.models import LeadEvent
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sample_leads(sdr):
    now = timezone.now()
    acme = AccountFactory(name="Acme Robotics", employees=1200, industry="Manufacturing")
    hangzhou = AccountFactory(name="杭州云帆科技", employees=320, industry="Software")
    won = LeadFactory(
        name="Li Wei",
        email="li.wei@acme.example",
        title="CTO",
        account=acme,
        source_channel="event",
        campaign="Shanghai Expo",
        stage="sal",
        owner=sdr,
        received_at=now - dt.timedelta(days=2),
    )
    ActivityFactory(lead=won, type="demo_request", occurred_at=now - dt.timedelta(days=2, hours=1))
    LeadEvent.objects.create(
        lead=won,
        kind="stage_change",
        from_stage="inquiry",
        to_stage="mql",
        actor_system="scoring model v3",
        reason="fit A, interest 72",
        at=now - dt.timedelta(days=2),
    )
    LeadEvent.objects.create(
        lead=won,
        kind="stage_change",
        from_stage="mql",
        to_stage="sal",
        actor_user=sdr,
        at=now - dt.timedelta(days=1),
    )
    others = [
        LeadFactory(
            name="张敏",
            email="zhang.min@yunfan.example",
            account=hangzhou,
            source_channel="wechat",
            campaign="WeChat live",
            stage="mql",
            received_at=now - dt.timedelta(days=3),
        ),
        LeadFactory(
            name="Sarah Chen",
            source_channel="website",
            stage="inquiry",
            received_at=now - dt.timedelta(days=4),
        ),
    ]
    return {"sal": won, "others": others}


def switch_language(page, language: str) -> None:
    """Use the language switcher in the top bar, as a person would."""
    if language != "en":
        page.select_option(".langswitch select", language)  # submits on change
        page.wait_for_function(f"document.documentElement.lang === '{language}'")
    assert page.locator("html").get_attribute("lang") == language


def t(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_marketer_logs_in_filters_the_list_and_reads_a_timeline(
    page, log_in, screenshot, marketer, sample_leads, language
):
    # log in: the navigation offers what marketing can use
    log_in(marketer)
    switch_language(page, language)
    nav = page.locator(".mainnav a")
    assert nav.all_inner_texts() == [
        t(language, w)
        for w in (
            "Home", "Leads", "Returns", "Scoring", "Import", "API docs", "SLA terms",
            "SLA compliance",
        )
    ]  # fmt: skip
    if language != "en":
        assert nav.all_inner_texts() != [
            "Home",
            "Leads",
            "Returns",
            "Scoring",
            "Import",
            "API docs",
        ]
    assert page.locator('[data-stage-count="mql"] .stat-value').inner_text() == "1"
    screenshot(page, "home")

    # the lead list, then a filter on stage
    page.click('.mainnav a[data-nav="leads:lead_list"]')
    page.wait_for_url("**/leads/")
    assert page.locator("tr[data-lead-id]").count() == 3
    screenshot(page, "lead_list")
    page.select_option("#id_stage", "sal")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**/leads/?*stage=sal*")
    rows = page.locator("tr[data-lead-id]")
    assert rows.count() == 1
    assert "Li Wei" in rows.first.inner_text()

    # the lead and its timeline
    rows.first.locator(".lead-name a").click()
    page.wait_for_url(f"**/leads/{sample_leads['sal'].pk}/")
    assert page.locator("h1").inner_text().startswith("Li Wei")
    timeline = page.locator("[data-timeline]")  # newest first
    assert timeline.count() == 3
    assert t(language, "Demo request") in timeline.nth(2).inner_text()
    assert t(language, "scoring model v%(number)s") % {"number": 3} in timeline.nth(1).inner_text()
    assert f"{t(language, 'Inquiry')} → MQL" in timeline.nth(1).inner_text()
    assert "Sam East" in timeline.nth(0).inner_text()
    screenshot(page, "lead_detail")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admin_creates_and_revokes_an_integration_token(
    page, log_in, screenshot, admin_user, language
):
    log_in(admin_user)
    switch_language(page, language)
    page.click('.mainnav a[data-nav="console:index"]')
    page.wait_for_url("**/settings/")
    page.click('a[data-settings="tokens"]')
    page.wait_for_url("**/settings/tokens/")

    # create: the full key is shown once
    page.fill("#id_username", "crm-sync")
    page.click("form.inline-form button[type=submit]")
    page.wait_for_url("**/settings/tokens/")
    key = page.locator("#new-token-key").inner_text()
    assert Token.objects.get(user__username="crm-sync").key == key
    screenshot(page, "tokens")
    page.reload()
    assert page.locator("#new-token-key").count() == 0
    assert page.locator('[data-integration="crm-sync"] .key-prefix').inner_text() == f"{key[:6]}…"

    # revoke, after confirming
    page.click('[data-integration="crm-sync"] a.danger')
    page.wait_for_url("**/revoke/")
    screenshot(page, "tokens_revoke_confirm")
    page.click("[data-confirm=revoke] button[type=submit]")
    page.wait_for_url("**/settings/tokens/")
    revoked = t(language, "Token of %(name)s revoked.") % {"name": "crm-sync"}
    assert revoked in page.locator(".messages").inner_text()
    assert page.locator('[data-integration="crm-sync"] [data-no-token]').count() == 1
    assert not Token.objects.filter(user__username="crm-sync").exists()


def test_switching_to_chinese(page, log_in, screenshot, marketer, sample_leads):
    log_in(marketer)
    assert page.locator("html").get_attribute("lang") == "en"

    page.select_option(".langswitch select", "zh-hans")  # submits on change
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto("/leads/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("tr[data-lead-id]").count() == 3
    screenshot(page, "lead_list_zh")
