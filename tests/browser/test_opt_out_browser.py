"""An opt-out on the lead page in a real browser, in English and in Chinese (issue 10
§4): the SDR records it and the lead leaves their queue, the queue says why; marketing
reads the notice, the timeline and the consent history, and reverses it with a reason."""

from __future__ import annotations

import pytest

from leads.models import Lead
from tests.browser.test_pages_browser import switch_language
from tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "queue_notice": "Left your queue: the person opted out (do not contact)",
        "notice": "This person opted out on",
        "history": ["Consent recorded", "Opted out", "Opt-out reversed"],
        "timeline": ["Opted out: do not contact", "Sent to nurture"],
        "left": "It left the queue of",
    },
    "zh-hans": {
        "queue_notice": "已离开你的队列：对方已退订（请勿联系）",
        "notice": "此人于",
        "history": ["已记录授权", "已退订", "已撤销退订"],
        "timeline": ["已退订：请勿联系"],
        "left": "已离开",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_opt_out_recorded_read_and_reversed_on_the_lead_page(
    page, log_in, screenshot, sdr, sdr_team_east, marketer, language
):
    words = WORDS[language]
    lead = LeadFactory(
        name="Zhao Lei",
        stage="sal",
        owner=sdr,
        team=sdr_team_east,
        consent_source="web form",
    )
    from leads.consent import ConsentWrite, consent_changes_write

    consent_changes_write(
        writes=[
            ConsentWrite(
                lead_id=lead.pk, kind="recorded", do_not_contact=False, consent_source="web form"
            )
        ],
        actor_user_id=None,
        actor_system="hubspot-sync",
        via="api",
        now=lead.received_at,
    )

    # the SDR records it: the lead leaves their queue, and the queue says why
    log_in(sdr)
    switch_language(page, language)
    page.goto(f"/leads/{lead.pk}/")
    page.locator("[data-box=opt_out] summary").click()
    page.fill("#id_opt_out-note", "电话中要求不要再联系 / asked not to be called")
    page.click("[data-action=opt_out]")
    page.wait_for_load_state()
    page.goto("/queue/")
    notice = page.locator("[data-opt-outs]")
    assert words["queue_notice"] in notice.inner_text()
    assert "Zhao Lei" in notice.inner_text()
    assert page.locator(f"[data-queue-lead='{lead.pk}']").count() == 0
    screenshot(page, "queue")
    lead.refresh_from_db()
    assert (lead.do_not_contact, lead.stage, lead.owner_id) == (True, "nurture", None)

    # marketing reads why and reverses it with a reason
    page.context.clear_cookies()
    log_in(marketer)
    switch_language(page, language)
    page.goto(f"/leads/{lead.pk}/")
    assert words["notice"] in page.locator("[data-opt-out-notice]").inner_text()
    titles = page.locator(".timeline .tl-title strong").all_inner_texts()
    for title in words["timeline"]:
        assert title in titles
    assert words["left"] in page.locator(".timeline").inner_text()
    screenshot(page, "opted-out")

    page.locator("[data-box=opt_out_reverse] summary").click()
    page.fill("#id_opt_out_reverse-reason", "Signed up again at the expo")
    page.click("[data-action=opt_out_reverse]")
    page.wait_for_load_state()
    page.goto(f"/leads/{lead.pk}/")
    history = page.locator("[data-consent-history] li strong").all_inner_texts()
    assert history == words["history"]
    assert "Signed up again at the expo" in page.locator("[data-consent-history]").inner_text()
    assert page.locator("[data-opt-out-notice]").count() == 0
    screenshot(page, "reversed")
    assert not Lead.objects.get(pk=lead.pk).do_not_contact
