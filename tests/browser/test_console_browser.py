"""The admin's console in a real browser, in English and in Chinese: an admin adds an SDR
to a team and a routing rule, tries the rule on a lead and routes it; the new SDR sets a
password from the invitation, logs in and finds the lead in the queue."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from leads.audit.models import AuditRecord
from leads.models import Stage
from leads.people.models import Team
from tests.browser.test_pages_browser import switch_language, t
from tests.factories import AccountFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "a-long-pass-7731"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admin_adds_an_sdr_and_a_rule_and_the_sdr_finds_the_lead(
    page, log_in, screenshot, admin_user, language
):
    north = Team.objects.create(name="North", kind=Team.Kind.SDR, mode=Team.Mode.ROUND_ROBIN)
    lead = LeadFactory(
        name="Li Wei", stage=Stage.MQL, account=AccountFactory(name="Acme", region="APAC")
    )
    log_in(admin_user)
    switch_language(page, language)

    # the SDR, in team North, with an invitation
    page.click('.mainnav a[data-nav="console:index"]')
    page.click('a[data-settings="people"]')
    page.wait_for_url("**/settings/people/")
    page.fill("#id_username", "nina")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "New")
    page.fill("#id_email", "nina@example.com")
    page.check('input[name="roles"][value="sdr"]')
    page.check(f'input[name="teams"][value="{north.pk}"]')
    screenshot(page, "person_new")
    page.click('form[data-form="person-create"] button[type=submit]')
    page.wait_for_url(re.compile(r".*/settings/people/\d+/$"))
    assert t(language, "Person created") in page.locator("[data-history]").inner_text()
    screenshot(page, "person")

    # the rule
    page.click('a[data-settings="rules"]')
    page.wait_for_url("**/settings/routing/")
    form = page.locator('form[data-form="rule"]')
    form.locator("#id_name").fill("APAC")
    form.locator("#id_team").select_option(str(north.pk))
    form.locator("#id_region").fill("APAC")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/settings/routing/")
    assert page.locator('tr[data-rule="APAC"]').count() == 1

    # which rule would take the lead? then route it
    page.fill("#id_lead", str(lead.pk))
    page.click('button[data-action="try"]')
    result = page.locator("[data-try-result]")
    assert result.locator("[data-chosen-rule]").inner_text() == "APAC"
    assert result.locator("[data-to-user]").inner_text() == "Nina New"
    screenshot(page, "try")
    page.click('button[data-action="route-now"]')
    page.wait_for_selector(".msg-success")
    screenshot(page, "routed")
    lead.refresh_from_db()
    assert lead.owner.username == "nina"
    assert list(AuditRecord.objects.order_by("id").values_list("action", flat=True)) == [
        "person.create",
        "person.invite",
        "rule.create",
        "lead.route",
    ]

    # the new SDR: password from the invitation, then the queue
    page.click("button.logout")
    page.wait_for_load_state()
    link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    screenshot(page, "set_password")
    page.click('form[data-form="set-password"] button[type=submit]')
    page.wait_for_url("**/accounts/login/")
    page.fill("#id_username", "nina")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    switch_language(page, language)
    page.goto("/queue/")
    assert "Li Wei" in page.locator("main").inner_text()
    screenshot(page, "queue")
