"""The predictive score in a real browser: its page (with a refresh run by a real
Celery worker) and its card on the lead page, in English and Chinese."""

from __future__ import annotations

import pytest

from leads.models import Job, Lead, PredictiveSnapshot
from leads.scoring.predictive_services import predictive_train
from tests.browser.test_pages_browser import switch_language, t
from tests.factories import AccountFactory
from tests.leads.scoring.predictive_history import (
    ODOO_VECTOR,
    WON_PATH,
    lead_with_history,
    odoo_history,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.celery_worker
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_marketer_reads_the_predictive_page_and_refreshes_it(
    celery_worker_process, page, log_in, screenshot, marketer, language
):
    odoo_history()
    lead_with_history(stage="lost", path=WON_PATH, source_system="demo")
    first = predictive_train(min_count=0)
    lead_with_history(stage="sal", path=("mql",), account=AccountFactory(country="FR"))
    log_in(marketer)
    switch_language(page, language)

    page.goto("/scoring/predictive/")

    assert page.inner_text("h1") == t(language, "Predictive score")
    assert page.get_attribute("[data-trained-rows]", "data-trained-rows") == "41"
    assert page.locator("[data-metric]").count() == 4
    assert page.locator("[data-demo-badge]").inner_text() == t(
        language, "Learned from synthetic demo data"
    )
    factors = page.locator("[data-factors] tbody tr")
    assert factors.count() == 6  # four stages after the first, FR and DE; nothing else varies
    assert t(language, "Furthest stage") in factors.first.inner_text()
    if language != "en":
        assert "Furthest stage" not in page.inner_text("[data-factors]")
    screenshot(page, "page")

    # Refresh now: the worker retrains; the page follows the job and reloads when done
    page.click("[data-action=refresh]")
    page.wait_for_selector("[data-job-state=done]", timeout=90_000)
    screenshot(page, "refreshed")
    job = Job.objects.get()
    assert (job.state, job.created_by, job.percent) == ("done", marketer, 100)
    assert "leads.tasks.predictive_refresh" in celery_worker_process.log()
    latest = PredictiveSnapshot.objects.order_by("-id").first()
    assert latest.pk != first.pk
    assert latest.job_id == job.pk
    assert Lead.objects.get(stage="sal").win_probability is not None


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_lead_page_shows_the_chance_of_winning(
    page, log_in, screenshot, sdr, language, settings
):
    settings.PREDICTIVE_PRIOR_WEIGHT = 0  # Odoo's factors: the vector below, by hand
    odoo_history()
    predictive_train(min_count=0)
    lead = lead_with_history(
        stage="sal", path=("mql",), account=AccountFactory(country="DE"), owner=sdr
    )
    log_in(sdr)
    switch_language(page, language)

    page.goto(f"/leads/{lead.pk}/")

    card = page.locator("[data-predictive]")
    assert card.locator("h2").inner_text() == t(language, "Chance of winning")
    assert card.locator("[data-win-probability]").get_attribute("data-win-probability") == str(
        ODOO_VECTOR["sal", "DE"]
    )
    assert card.locator("[data-advice]").inner_text() == t(
        language, "Advice only — the published rules decide."
    )
    reasons = card.locator("[data-factor]")
    assert reasons.count() == 2
    assert reasons.nth(0).get_attribute("data-factor") == "stage=sal"
    assert t(language, "Country") in reasons.nth(1).inner_text()
    # the card sits at the top of the side column, before the contact details
    cards = page.locator(".detail-side > section")
    titles = cards.locator("h2").all_inner_texts()
    assert titles.index(t(language, "Chance of winning")) < titles.index(t(language, "Contact"))
    screenshot(page, "lead")

    card.locator("a").click()
    page.wait_for_url("**/scoring/predictive/")
    assert page.inner_text("h1") == t(language, "Predictive score")
